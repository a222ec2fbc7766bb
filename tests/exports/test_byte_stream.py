"""A file read while it is written: the CSV zip through the pipe, a writer's failure, a reader that goes away."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

import pytest

from exports.byte_stream import stream_writes
from exports.csv_zip import write_csv_zip
from exports.submission import ExportSubmission
from tests.exports.test_csv_zip import attachments, census, export, submissions, synthetic


def test_a_zip_written_through_the_pipe_holds_the_same_files(java: None) -> None:
    def write(out: BinaryIO) -> None:
        write_csv_zip(out, xform=census(), submissions=submissions(), attachments=attachments)

    streamed = b"".join(stream_writes(write))
    with zipfile.ZipFile(io.BytesIO(streamed)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
        described = [info.flag_bits & 0x08 for info in archive.infolist()]
    expected, _ = export(attachments=attachments)
    assert files == expected
    assert all(described)  # the pipe cannot seek: sizes follow each entry in a data descriptor


def test_chunks_come_while_the_writer_is_still_writing(java: None) -> None:
    first_chunk_taken = threading.Event()

    def held_back() -> Iterator[ExportSubmission]:
        for n, submission in enumerate(synthetic(20_000)):
            if n == 19_000 and not first_chunk_taken.wait(timeout=120):  # a guard against a hang, not a timing
                raise AssertionError("no chunk reached the reader in the first 19,000 submissions")
            yield submission

    def write(out: BinaryIO) -> None:
        write_csv_zip(out, xform=census(), submissions=held_back())

    chunks = stream_writes(write)
    first = next(chunks)
    first_chunk_taken.set()
    rest = b"".join(chunks)
    assert first.startswith(b"PK\x03\x04")
    with zipfile.ZipFile(io.BytesIO(first + rest)) as archive:
        assert archive.read("census.csv").count(b"\n") == 20_001


def test_the_writer_failure_ends_the_stream_after_what_was_written() -> None:
    def write(out: BinaryIO) -> None:
        out.write(b"half a file")
        raise RuntimeError("database gone")

    chunks = stream_writes(write)
    assert next(chunks) == b"half a file"
    with pytest.raises(RuntimeError, match="database gone"):
        next(chunks)


def test_a_reader_that_goes_away_stops_the_writer() -> None:
    stopped: list[BaseException] = []

    def endless(out: BinaryIO) -> None:
        try:
            while True:
                out.write(b"x" * 4096)
        except BrokenPipeError as error:
            stopped.append(error)
            raise

    chunks = stream_writes(endless)
    assert set(next(chunks)) == {ord("x")}
    chunks.close()  # returns once the writer has ended
    assert [type(error) for error in stopped] == [BrokenPipeError]
