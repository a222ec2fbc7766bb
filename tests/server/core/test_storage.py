"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from server.core.storage import BlobStore


def test_blobs_are_named_by_sha256_and_written_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = "Biên bản buổi trợ giúp pháp lý".encode()
    ref = store.put_bytes(data)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.md5 == hashlib.md5(data).hexdigest()
    assert ref.size == len(data)
    path = store.path(ref.sha256)
    assert path == tmp_path / "blobs" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    mtime = path.stat().st_mtime_ns
    assert store.put_stream(io.BytesIO(data)) == ref
    assert path.stat().st_mtime_ns == mtime
    assert store.read(ref.sha256) == data
    assert [p.name for p in (tmp_path / "blobs").iterdir() if p.name.startswith(".incoming")] == []


def test_large_stream_is_hashed_while_copied(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = bytes(range(256)) * 20_000  # 5 MB, several chunks
    ref = store.put_stream(io.BytesIO(data))
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert store.read(ref.sha256) == data


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("the phone hung up")

    store = BlobStore(tmp_path)
    with pytest.raises(OSError, match="hung up"):
        store.put_stream(Broken())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad", ["../../etc/passwd", "abc", "G" * 64, ""])
def test_paths_only_come_from_hashes(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="sha256"):
        BlobStore(tmp_path).path(bad)
