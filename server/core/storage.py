"""Content-addressed blob store: every blob is written to a temp file, fsynced, then renamed to its sha256."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024
DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """What the database keeps of a stored blob."""

    sha256: str
    md5: str
    size: int


class BlobStore:
    """Blobs on disk under root/ab/cd/<sha256>; writing the same content twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix = f"{root}{os.sep}"

    def path(self, sha256: str) -> Path:
        """Where the blob with this hash lives (it may not exist)."""
        return Path(self._file(sha256))

    def _file(self, sha256: str) -> str:
        """The blob's file name as a string (an export reads one per submission: no Path objects)."""
        if not DIGEST.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return f"{self._prefix}{sha256[:2]}{os.sep}{sha256[2:4]}{os.sep}{sha256}"

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> BlobRef:
        """Store bytes durably and return their reference."""
        return self.put_stream(io.BytesIO(data))

    def put_stream(self, stream: BinaryIO) -> BlobRef:
        """Store a file-like object durably, hashing while copying, and return its reference."""
        self.root.mkdir(parents=True, exist_ok=True)
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0  # noqa: S324 - md5 is what OpenRosa asks for
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    sha.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            ref = BlobRef(sha.hexdigest(), md5.hexdigest(), size)
            target = self.path(ref.sha256)
            if target.is_file():
                os.unlink(tmp)
            else:
                self._place(Path(tmp), target)
            return ref
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def read(self, sha256: str) -> bytes:
        """The bytes of a stored blob."""
        with open(self._file(sha256), "rb", buffering=0) as blob:
            return blob.readall()

    @staticmethod
    def _place(tmp: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        # Every level, every time: another thread may have just made ab/ or ab/cd/ and not yet synced its parent,
        # and a directory fsync with nothing new to write costs next to nothing.
        for directory in (target.parent, target.parent.parent, target.parent.parent.parent):
            _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
