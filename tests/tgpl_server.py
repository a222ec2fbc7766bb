"""`tgpl serve` as a process of its own, as an administrator starts it (tests that need a real server process)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.cli_runner import TGPL


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def tgpl_serve(env: dict[str, str], port: int, log: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run `tgpl serve --host 127.0.0.1 --port PORT ARGS` (its output goes to log) until it answers; stop it after."""
    with log.open("ab") as out:
        command = [TGPL, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, f"tgpl serve exited: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "tgpl serve did not start"
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
