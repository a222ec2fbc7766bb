"""Ingest benchmark: OpenRosa submissions of the session form from 1, 8 and 32 phones to `tgpl serve`, beside the limit.

Each database gets its own `tgpl init` (the gazetteer, the built-in forms, an app user) and two servers, each its
own process on 127.0.0.1: `tgpl serve` and bench/bare_server.py (the same multipart parser, blob store and durable
row, nothing else). The load comes from this process: standard-library threads, one keep-alive connection each, one
HEAD per phone then POSTs, as ODK Collect sends a batch. For every case (clients x with/without a 200 kB photo) the
bare app and tgpl each take --count distinct submissions; tgpl is reported as a ratio to the bare app. Afterwards
every submission is checked in tgpl's database (exactly once each) and 10 % are resent (201, no new row).

Run from the repository root:
    .venv/bin/python bench/ingest.py [--count N] [--clients 1 8 32] [--workers W] [--postgres URL] [--no-sqlite]
Both servers run --workers processes (default 1; `tgpl serve --workers W` and the bare app alike).
The last line printed is JSON: {"workers", "cases": [{"database", "clients", "photo", "rate_per_s", "p50_ms",
"p99_ms", "limit_per_s", "ratio_to_limit", ...}], "server_peak_rss_mb": {...}}. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from forms.build import build_xlsform  # noqa: E402
from server.cli.setup import BUILTIN_FORMS  # noqa: E402
from server.core.config import Settings  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402
from tests.instances import fill  # noqa: E402
from tests.tgpl_server import free_port  # noqa: E402

BIN = Path(sys.executable).parent
PHOTO_BYTES = 200_000
RESEND_SHARE = 10  # every 10th submission of the last case is sent again
BOUNDARY = "tgplbench7f3a9c2e"
START_TIMEOUT_S = 60.0
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
SESSION = {
    "session_type": "truyen_thong",
    "session_date": "2026-11-20",
    "commune": "01864",
    "gps": "22.6576 105.671 420 6",
    "participants_total": "45",
    "participants_women": "20",
    "participants_ethnic": "40",
    "leaflets": "60",
    "questions_total": "7",
    "requests_received": "3",
    "requests_accepted": "1",
    "referrals": "0",
    "evening": "khong",
}


@dataclass
class Case:
    """One measured run: a target server, a database, a number of phones, with or without a photo."""

    target: str  # tgpl | bare
    database: str
    clients: int
    photo: bool
    count: int
    wall_s: float = 0.0
    rate_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    failures: list[str] = field(default_factory=list)


class Template:
    """Session-form instances made fast: one filled instance whose instanceID (and photo name) are swapped."""

    def __init__(self) -> None:
        xform = build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx").xform
        self.plain = fill(xform, SESSION, instance_id="uuid:@ID@")
        self.with_photo = fill(xform, {**SESSION, "attendance_photo": "@ID@.jpg"}, instance_id="uuid:@ID@")
        self.photo = JPEG_HEAD + hashlib.shake_256(b"tgpl-bench-photo").digest(PHOTO_BYTES - len(JPEG_HEAD))

    def body(self, photo: bool) -> tuple[str, bytes]:
        """A new instance's ID and its multipart body (a distinct photo when photo is set)."""
        ident = str(uuid.uuid4())
        xml = (self.with_photo if photo else self.plain).replace(b"@ID@", ident.encode())
        parts = [_part("xml_submission_file", "submission.xml", "text/xml", xml)]
        if photo:
            parts.append(_part(f"{ident}.jpg", f"{ident}.jpg", "image/jpeg", ident.encode() + self.photo))
        return ident, b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _part(name: str, filename: str, content_type: str, data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def phone(base: str, bodies: Sequence[bytes], latencies: list[float], failures: list[str]) -> None:
    """One Collect-like phone: a keep-alive connection, one HEAD, then one POST per body."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
    connection.connect()
    # http.client sends headers and a large body in two writes: without this, Nagle's algorithm and the server's
    # delayed ACK add up to 40 ms to a POST, a cost of this client that a phone does not have.
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"X-OpenRosa-Version": "1.0", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    try:
        connection.request("HEAD", f"{url.path}/submission", headers={"X-OpenRosa-Version": "1.0"})
        head = connection.getresponse()
        head.read()
        if head.status != 204:
            failures.append(f"HEAD {head.status}")
            return
        for body in bodies:
            started = time.perf_counter()
            connection.request("POST", f"{url.path}/submission", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 201:
                failures.append(f"POST {response.status} {answer[:200]!r}")
    finally:
        connection.close()


def send(base: str, bodies: Sequence[bytes], clients: int) -> tuple[float, list[float], list[str]]:
    """Spread bodies over clients phones sending at once; the wall time, POST latencies and failures."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    threads = [
        threading.Thread(target=phone, args=(base, bodies[n::clients], latencies[n], failures)) for n in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, [x for share in latencies for x in share], failures


def percentile_ms(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1] * 1000, 1)


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


def stored(database_url: str) -> dict[str, int]:
    """instanceID → number of submission rows, read straight from tgpl's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT instance_id, COUNT(*) FROM submission GROUP BY instance_id")).all()
    finally:
        engine.dispose()
    return {row[0]: int(row[1]) for row in rows}


def run_database(
    name: str, url: str | None, args: argparse.Namespace, tmp: Path
) -> tuple[list[Case], dict[str, float]]:
    """Init tgpl on one database, start both servers, run every case on both, then check tgpl's rows."""
    data = tmp / name
    tgpl_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "TGPL_DATA_DIR": str(data / "tgpl"),
        "TGPL_HOST": "127.0.0.1",
        "TGPL_PORT": str(tgpl_port),
        "TGPL_PUBLIC_URL": f"http://127.0.0.1:{tgpl_port}",
    }
    if url:
        env["TGPL_DATABASE_URL"] = url
    print(f"[{name}] tgpl init …", file=sys.stderr, flush=True)
    init = subprocess.run([str(BIN / "tgpl"), "init", "--json"], env=env, capture_output=True, text=True, check=True)
    tgpl_base = json.loads(init.stdout)["app_user"]["url"].rstrip("/")
    bare_cmd = [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(bare_port)]
    bare_cmd += ["--data-dir", str(data / "bare"), "--workers", str(args.workers)]
    bare_cmd += ["--database-url", url] if url else []
    bare_base = f"http://127.0.0.1:{bare_port}"
    tgpl_cmd = [str(BIN / "tgpl"), "serve", "--workers", str(args.workers)]
    template = Template()
    cases: list[Case] = []
    sent: list[str] = []
    last_bodies: list[bytes] = []
    with (
        process(tgpl_cmd, env, f"{tgpl_base}/submission") as tgpl,
        process(bare_cmd, env, f"{bare_base}/submission") as bare,
    ):
        for clients in args.clients:
            for photo in (False, True):
                for target, base in (("bare", bare_base), ("tgpl", tgpl_base)):
                    made = [template.body(photo) for _ in range(args.count)]
                    case = Case(target, name, clients, photo, args.count)
                    print(f"[{name}] {target:4} {clients:2} phones, {'photo' if photo else 'no photo'} …",
                          file=sys.stderr, flush=True)  # fmt: skip
                    bodies = [body for _, body in made]
                    wall, latencies, case.failures = send(base, bodies, clients)
                    case.wall_s = round(wall, 2)
                    case.rate_per_s = round(args.count / wall, 1)
                    case.p50_ms, case.p99_ms = percentile_ms(latencies, 50), percentile_ms(latencies, 99)
                    cases.append(case)
                    if target == "tgpl":
                        sent += [ident for ident, _ in made]
                        last_bodies = bodies
        resend = last_bodies[::RESEND_SHARE]
        _, _, resend_failures = send(tgpl_base, resend, min(len(resend), 8))
        rss = {"tgpl": peak_rss_mb(tgpl.pid), "bare": peak_rss_mb(bare.pid)}  # with workers: all processes
    rows = stored(url or Settings(data_dir=data / "tgpl").resolved_database_url)
    problems = [f"resend: {failure}" for failure in resend_failures]
    missing = [ident for ident in sent if rows.get(f"uuid:{ident}") != 1]
    if missing or len(rows) != len(sent):
        problems.append(f"{len(missing)} of {len(sent)} not stored exactly once; {len(rows)} rows in all")
    if problems:
        cases[-1].failures += problems
    print(f"[{name}] checked: {len(sent)} submissions stored once each, {len(resend)} resent", file=sys.stderr)
    return cases, rss


def summary(cases: list[Case]) -> list[dict[str, object]]:
    """tgpl's cases, each with the bare app's rate for the same case as the limit."""
    limits = {(c.database, c.clients, c.photo): c.rate_per_s for c in cases if c.target == "bare"}
    rows = []
    for case in cases:
        if case.target != "tgpl":
            continue
        limit = limits[(case.database, case.clients, case.photo)]
        row = {k: v for k, v in asdict(case).items() if k not in ("target", "failures")}
        rows.append({**row, "limit_per_s": limit, "ratio_to_limit": round(case.rate_per_s / limit, 2)})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run every database's cases, print a table, then the JSON line; 1 when any check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions per case and server (default 1000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="phones sending at once")
    parser.add_argument("--workers", type=int, default=1, help="server processes of each server (default 1)")
    parser.add_argument("--postgres", default=None, help="also run on PostgreSQL (a throwaway schema of this URL)")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True, help="run on SQLite")
    args = parser.parse_args(argv)
    if args.count < 10 or min(args.clients) < 1:
        parser.error("--count must be >= 10 and --clients >= 1")
    cases: list[Case] = []
    rss: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="tgpl-bench-ingest-") as tmp:
        if args.sqlite:
            found, rss["sqlite"] = run_database("sqlite", None, args, Path(tmp))
            cases += found
        if args.postgres:
            with postgres_schema(args.postgres, "tgpl_bench") as url:
                found, rss["postgresql"] = run_database("postgresql", url, args, Path(tmp))
                cases += found
    rows = summary(cases)
    print(f"{'database':<11} {'phones':>6} {'photo':>5} {'tgpl/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bare/s':>7} ratio")
    for row in rows:
        print(f"{row['database']:<11} {row['clients']:>6} {'yes' if row['photo'] else 'no':>5} {row['rate_per_s']:>7}"
              f" {row['p50_ms']:>7} {row['p99_ms']:>7} {row['limit_per_s']:>7} {row['ratio_to_limit']}")  # fmt: skip
    print(f"server peak RSS (MB): {rss}")
    failures = [f"{c.target} {c.database} {c.clients} {c.photo}: {f}" for c in cases for f in c.failures]
    for failure in failures[:10]:
        print(f"  ! {failure}")
    print(json.dumps({"workers": args.workers, "cases": rows, "server_peak_rss_mb": rss, "ok": not failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
