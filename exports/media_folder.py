"""The flat media/ folder of an export zip: every submission's attachments side by side, as Central writes it."""

from __future__ import annotations

import io
import shutil
import zipfile
from typing import BinaryIO

from exports.zip_names import is_safe_media_name

# Formats that are compressed already: deflating them again costs time and saves nothing.
STORED_SUFFIXES = frozenset(
    ".jpg .jpeg .png .gif .webp .heic .mp4 .3gp .mov .webm .m4a .aac .mp3 .ogg .opus .amr .zip .gz .pdf".split()
)
CHUNK = 1 << 20


class MediaFolder:
    """Adds attachments under media/ in a zip being written, once per name."""

    def __init__(self, archive: zipfile.ZipFile, date_time: tuple[int, int, int, int, int, int]) -> None:
        self._archive = archive
        self._date_time = date_time
        self._names: set[str] = set()
        self.added = 0
        self.skipped: list[str] = []

    def add(self, name: str, content: BinaryIO | bytes) -> None:
        """Copy one attachment into media/; unsafe names and names already added are skipped and recorded."""
        if not is_safe_media_name(name) or name in self._names:
            # the folder is flat, so two submissions' files of one name collide; the first (newest) one is kept
            self.skipped.append(name)
            return
        self._names.add(name)
        info = zipfile.ZipInfo(f"media/{name}", date_time=self._date_time)
        suffix = name[name.rfind(".") :].lower() if "." in name else ""
        info.compress_type = zipfile.ZIP_STORED if suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
        if isinstance(content, bytes):
            self._archive.writestr(info, content)
        else:
            size = _remaining(content)
            if size is not None:
                info.file_size = size  # lets zipfile decide on zip64 itself
            with self._archive.open(info, "w", force_zip64=size is None) as target:
                shutil.copyfileobj(content, target, CHUNK)
        self.added += 1


def _remaining(stream: BinaryIO) -> int | None:
    """The bytes left to read in a seekable stream; None when it cannot tell."""
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except OSError:
        return None
    return end - here
