"""Safe names for zip entries: table files named from the form, media files named by the phone."""

from __future__ import annotations

import re

# What the sanitize-filename package (used by Central) removes: path separators, Windows-reserved characters and
# control characters; "." and ".." alone, and trailing dots and spaces, are not file names Windows can keep.
UNSAFE_CHARACTERS = re.compile(r'[/?<>\\:*|"\x00-\x1f\x80-\x9f]')
MAX_NAME_BYTES = 255


def sanitize_file_name(name: str) -> str:
    """A table file name with what a file system would refuse taken out, as Central's sanitize-filename does."""
    clean = UNSAFE_CHARACTERS.sub("", name)
    clean = "" if clean in (".", "..") else clean.rstrip(". ")
    return clean.encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore")


def is_safe_media_name(name: str) -> bool:
    """Whether an attachment name (client data) can be a file directly under media/ in the zip."""
    return (
        bool(name)
        and "/" not in name
        and "\\" not in name
        and ".." not in name
        and name != "."
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in name)
        and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    )
