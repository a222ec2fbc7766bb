"""A file being written, read as it is written: the writer runs in its own thread, the reader iterates the chunks.

The writer gets a binary file that cannot seek (zipfile then writes a data descriptor after each entry instead of
going back to its header), so a download can start while the export is still reading submissions. The queue
between them is bounded: a slow reader holds the writer back instead of filling memory.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Generator
from typing import BinaryIO

CHUNK = 64 * 1024  # bytes per chunk handed to the reader: small enough that a download starts early
QUEUE_CHUNKS = 16
POLL_S = 0.1  # how often a blocked side looks whether the other has gone
_DONE = b""  # the writer has finished (every other chunk holds bytes)


class _Pipe(io.RawIOBase):
    """The writer's end: each write becomes one chunk in the queue."""

    def __init__(self, chunks: queue.Queue[bytes], reader_gone: threading.Event) -> None:
        self._chunks = chunks
        self._reader_gone = reader_gone

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Hand data to the reader, waiting while the queue is full; fails once the reader has gone."""
        chunk = bytes(data)
        if chunk:
            _put(self._chunks, chunk, self._reader_gone)
        return len(chunk)


def _put(chunks: queue.Queue[bytes], chunk: bytes, reader_gone: threading.Event) -> None:
    while True:
        if reader_gone.is_set():
            raise BrokenPipeError("the reader of the stream has gone")
        try:
            chunks.put(chunk, timeout=POLL_S)
            return
        except queue.Full:
            continue


def stream_writes(write: Callable[[BinaryIO], object]) -> Generator[bytes, None, None]:
    """The bytes write(out) writes to out, in chunks, as they come; write's exception is raised at the end.

    Closing the iterator early (a client that went away) makes the writer's next write fail, and waits for it.
    """
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=QUEUE_CHUNKS)
    reader_gone = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with io.BufferedWriter(_Pipe(chunks, reader_gone), CHUNK) as out:
                write(out)
        except BaseException as error:  # handed to the reader, which raises it
            failures.append(error)
        finally:
            try:
                _put(chunks, _DONE, reader_gone)
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=run, name="stream-writer", daemon=True)
    writer.start()
    try:
        while chunk := chunks.get():
            yield chunk
    finally:
        reader_gone.set()
        while writer.is_alive():  # let a writer blocked on a full queue see that the reader has gone
            try:
                chunks.get(timeout=POLL_S)
            except queue.Empty:
                continue
        writer.join()
    if failures:
        raise failures[0]
