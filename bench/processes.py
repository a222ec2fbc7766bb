"""Server processes under measurement: started and awaited, their CPU time sampled, their peak memory read."""

from __future__ import annotations

import http.client
import itertools
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

START_TIMEOUT_S = 60.0


@contextmanager
def process(command: list[str], env: dict[str, str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, up once ready_url answers; stopped afterwards."""
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = urlsplit(ready_url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=2)
                connection.request("HEAD", url.path)
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start") from None
                time.sleep(0.1)
        yield child
    finally:
        child.terminate()
        child.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process and its children (uvicorn's workers), in MB."""
    total = 0
    for member in [pid, *_children(pid)]:
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


class CpuClock:
    """The CPU time (user and system) of a server process and its children, sampled every 20 ms while a batch is
    sent, so that the CPU spent between two moments can be read afterwards."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int) -> None:
        self.members = [pid, *_children(pid)]
        self.samples = [(time.perf_counter(), self.read())]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def read(self) -> float:
        """Seconds of CPU the processes used so far."""
        ticks = 0
        for member in self.members:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / self.TICK

    def _sample(self) -> None:
        while not self.stopping.wait(0.02):
            self.samples.append((time.perf_counter(), self.read()))

    def stop(self) -> None:
        """Take the last sample."""
        self.stopping.set()
        self.thread.join()
        self.samples.append((time.perf_counter(), self.read()))

    def at(self, moment: float) -> float:
        """The CPU seconds used up to a moment, interpolated between the samples around it."""
        for (t0, c0), (t1, c1) in itertools.pairwise(self.samples):
            if t0 <= moment <= t1:
                return c0 + (c1 - c0) * ((moment - t0) / (t1 - t0) if t1 > t0 else 1.0)
        return self.samples[-1][1] if moment > self.samples[-1][0] else self.samples[0][1]

    def between(self, start: float, end: float) -> float:
        """CPU seconds used between two moments."""
        return self.at(end) - self.at(start)
