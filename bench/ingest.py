"""Ingest benchmark: OpenRosa submissions of the session form from 1, 8 and 32 phones to `tgpl serve`, beside the limit.

Each database gets its own `tgpl init` (the gazetteer, the built-in forms, an app user) and two servers, each its
own process on 127.0.0.1: `tgpl serve` and bench/bare_server.py (the same multipart parser, blob store and durable
row, nothing else). The load comes from this process: standard-library threads, one keep-alive connection each, one
HEAD per phone then POSTs, as ODK Collect sends a batch. For every case the bare app and tgpl each take --count
distinct submissions; tgpl is reported as a ratio to the bare app. The cases, for each number of phones: a session
at a commune (no village), the same with a 200 kB photo, and a session at a village "not in the list" (village=khac
with its name and point: every submission proposes a village of commune 01864, as a phone does for a village the
list lacks). Each case also gives the rate over its first and its last tenth (by completion time), and tgpl's CPU
time per submission over the same tenths (read from /proc, sampled every 20 ms): a rate that falls, or a CPU time
that rises, while the case runs is a cost that grows with the data. The CPU time is the steadier witness on a machine
that other work shares.

Then the pre-filled case (--prefill SUBMISSIONS VILLAGES, default 100,000 and 5,000): the database gets that many
more submissions, VILLAGES of them proposing a village of 01864, and tgpl takes --long-count proposals from
--long-clients phones. The pre-fill is cloned, not sent: 100 submissions of each kind are sent for real, then their
rows (submission, current version, session fact, audit; for proposals the village, its audit and the commune's code
counter) are copied in batches with new ids, instanceIDs, village codes and references, so every row is one that
receiving wrote, in a few seconds instead of the half hour that sending 100,000 would take. The clones' XML blob is
their original's (nothing on the ingest path reads it back). On PostgreSQL the id sequences are moved past the
clones and the tables analysed, as autovacuum would do after such a load.

Afterwards every submission is checked in tgpl's database (exactly once each, each proposal with exactly one
village) and 10 % of the last case are resent (201, no new row).

Run from the repository root:
    .venv/bin/python bench/ingest.py [--count N] [--clients 1 8 32] [--workers W] [--postgres URL] [--no-sqlite]
        [--kinds commune proposal] [--prefill SUBMISSIONS VILLAGES] [--long-count N] [--long-clients C] [--quick]
Both servers run --workers processes (default 1; `tgpl serve --workers W` and the bare app alike). --quick is
--count 200 --clients 8 --long-count 1000 (the full pre-fill): about a minute a database.
The last line printed is JSON: {"workers", "cases": [{"database", "clients", "photo", "kind", "prefilled",
"rate_per_s", "rate_start_per_s", "rate_end_per_s", "cpu_start_ms", "cpu_end_ms", "p50_ms", "p99_ms",
"limit_per_s", "ratio_to_limit", ...}], "prefill_s": {...}, "server_peak_rss_mb": {...}, "ok"}. Exits 1 when any
check fails.
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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from bench.ingest_prefill import copy_sent  # noqa: E402
from bench.processes import CpuClock, peak_rss_mb, process  # noqa: E402
from forms.build import build_xlsform  # noqa: E402
from server.cli.setup import BUILTIN_FORMS  # noqa: E402
from server.core.config import Settings  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402
from tests.instances import NOT_LISTED, fill  # noqa: E402
from tests.instances import SESSION_ANSWERS as SESSION  # noqa: E402
from tests.tgpl_server import free_port  # noqa: E402

BIN = Path(sys.executable).parent
PHOTO_BYTES = 200_000
RESEND_SHARE = 10  # every 10th submission of the last case is sent again
BOUNDARY = "tgplbench7f3a9c2e"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PROPOSAL = {**NOT_LISTED, "village_name": "Bản Mới @ID@"}  # each proposal its own name
KINDS = (("commune", False), ("commune", True), ("proposal", False))  # (kind, with a photo) for each number of phones
PREFILL_SENT = 100  # real submissions of each kind the pre-fill clones
WINDOW = 10  # start and end rates: over the first and the last tenth of a case


@dataclass
class Case:
    """One measured run: a target server, a database, a number of phones, what they send, on which data."""

    target: str  # tgpl | bare
    database: str
    clients: int
    photo: bool
    count: int
    kind: str = "commune"  # commune | proposal
    prefilled: bool = False
    wall_s: float = 0.0
    rate_per_s: float = 0.0
    rate_start_per_s: float = 0.0
    rate_end_per_s: float = 0.0
    cpu_start_ms: float = 0.0  # tgpl's CPU per submission over the first and the last tenth
    cpu_end_ms: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    failures: list[str] = field(default_factory=list)


class Template:
    """Session-form instances made fast: one filled instance per kind whose instanceID (and photo name, and proposed
    village's name) are swapped."""

    def __init__(self) -> None:
        xform = build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx").xform
        self.plain = fill(xform, SESSION, instance_id="uuid:@ID@")
        self.with_photo = fill(xform, {**SESSION, "attendance_photo": "@ID@.jpg"}, instance_id="uuid:@ID@")
        self.proposal = fill(xform, {**SESSION, **PROPOSAL}, instance_id="uuid:@ID@")
        self.photo = JPEG_HEAD + hashlib.shake_256(b"tgpl-bench-photo").digest(PHOTO_BYTES - len(JPEG_HEAD))

    def body(self, photo: bool, kind: str = "commune") -> tuple[str, bytes]:
        """A new instance's ID and its multipart body (a distinct photo when photo is set)."""
        ident = str(uuid.uuid4())
        xml = self.proposal if kind == "proposal" else self.with_photo if photo else self.plain
        parts = [_part("xml_submission_file", "submission.xml", "text/xml", xml.replace(b"@ID@", ident.encode()))]
        if photo:
            parts.append(_part(f"{ident}.jpg", f"{ident}.jpg", "image/jpeg", ident.encode() + self.photo))
        return ident, b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _part(name: str, filename: str, content_type: str, data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


def phone(base: str, bodies: Sequence[bytes], latencies: list[float], done: list[float], failures: list[str]) -> None:
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
            finished = time.perf_counter()
            latencies.append(finished - started)
            done.append(finished)
            if response.status != 201:
                failures.append(f"POST {response.status} {answer[:200]!r}")
    finally:
        connection.close()


@dataclass
class Sent:
    """What sending a batch measured; start and end are its first and its last tenth of answers."""

    wall_s: float
    latencies: list[float]
    failures: list[str]
    rate_start_per_s: float = 0.0
    rate_end_per_s: float = 0.0
    cpu_start_ms: float = 0.0  # the server's CPU time per submission (all its processes)
    cpu_end_ms: float = 0.0


def send(base: str, bodies: Sequence[bytes], clients: int, server: int | None = None) -> Sent:
    """Spread bodies over clients phones sending at once; the wall time, POST latencies and failures, and over the
    first and the last tenth of the answers the rate and (given the server's pid) the server's CPU per submission:
    unlike the rate, the CPU time hardly moves when other work shares the machine."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    done: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    threads = [
        threading.Thread(target=phone, args=(base, bodies[n::clients], latencies[n], done[n], failures))
        for n in range(clients)
    ]
    clock = CpuClock(server) if server is not None else None
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    sent = Sent(wall, [x for share in latencies for x in share], failures)
    finished = sorted(t for share in done for t in share)
    k = len(finished) // WINDOW
    if k:
        start, end = (started, finished[k - 1]), (finished[-k - 1], finished[-1])
        sent.rate_start_per_s, sent.rate_end_per_s = (round(k / (b - a), 1) for a, b in (start, end))
        if clock is not None:
            clock.stop()
            sent.cpu_start_ms, sent.cpu_end_ms = (round(1000 * clock.between(a, b) / k, 2) for a, b in (start, end))
    return sent


def percentile_ms(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1] * 1000, 1)


def stored(database_url: str) -> tuple[dict[str, int], dict[str, int]]:
    """instanceID → number of submission rows, and proposal reference → number of villages, read straight from
    tgpl's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT instance_id, COUNT(*) FROM submission GROUP BY instance_id")).all()
            villages = connection.execute(
                text("SELECT source_ref, COUNT(*) FROM village WHERE source = 'field' GROUP BY source_ref")
            ).all()
    finally:
        engine.dispose()
    return {row[0]: int(row[1]) for row in rows}, {row[0]: int(row[1]) for row in villages}


def prefill(database_url: str, base: str, template: Template, submissions: int, villages: int) -> tuple[float, int]:
    """Add `submissions` submissions to tgpl's database, `villages` of them proposing a village of the commune,
    copied by bench/ingest_prefill.py from real ones sent first; the seconds it took and the submissions sent."""
    started = time.perf_counter()
    sent = {kind: [template.body(False, kind) for _ in range(PREFILL_SENT)] for kind in ("commune", "proposal")}
    for made in sent.values():
        failures = send(base, [body for _, body in made], 4).failures
        if failures:
            raise RuntimeError(f"pre-fill: {failures[0]}")
    ids = {kind: [f"uuid:{ident}" for ident, _ in made] for kind, made in sent.items()}
    copy_sent(database_url, ids, submissions, villages)
    return time.perf_counter() - started, 2 * PREFILL_SENT


def run_case(
    server: tuple[str, str, int], name: str, template: Template, clients: int, photo: bool, count: int, **kind: Any
) -> tuple[Case, list[tuple[str, bytes]]]:
    """Send count new submissions of a kind to one server (target, base URL, pid); the case measured and what was
    sent."""
    target, base, pid = server
    case = Case(target, name, clients, photo, count, **kind)
    made = [template.body(photo, case.kind) for _ in range(count)]
    print(f"[{name}] {target:4} {clients:2} phones, {'photo' if photo else 'no photo'}, {case.kind}"
          f"{', pre-filled' if case.prefilled else ''} …", file=sys.stderr, flush=True)  # fmt: skip
    sent = send(base, [body for _, body in made], clients, pid)
    case.wall_s, case.failures = round(sent.wall_s, 2), sent.failures
    case.rate_per_s = round(count / sent.wall_s, 1)
    case.rate_start_per_s, case.rate_end_per_s = sent.rate_start_per_s, sent.rate_end_per_s
    case.cpu_start_ms, case.cpu_end_ms = sent.cpu_start_ms, sent.cpu_end_ms
    case.p50_ms, case.p99_ms = percentile_ms(sent.latencies, 50), percentile_ms(sent.latencies, 99)
    return case, made


def run_database(
    name: str, url: str | None, args: argparse.Namespace, tmp: Path
) -> tuple[list[Case], dict[str, float], float]:
    """Init tgpl on one database, start both servers, run every case on both (the pre-filled one last), then check
    tgpl's rows."""
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
    database_url = Settings(data_dir=data / "tgpl", database_url=url).resolved_database_url
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
    sent: list[tuple[str, str]] = []  # (instanceID, kind) of what tgpl took in the cases
    last: list[tuple[str, bytes]] = []
    prefill_s, extra = 0.0, 0
    plan = [(clients, kind, photo) for clients in args.clients for kind, photo in KINDS if kind in args.kinds]
    with (
        process(tgpl_cmd, env, f"{tgpl_base}/submission") as tgpl,
        process(bare_cmd, env, f"{bare_base}/submission") as bare,
    ):
        servers = (("bare", bare_base, bare.pid), ("tgpl", tgpl_base, tgpl.pid))
        for clients, kind, photo in plan:
            for server in servers:
                case, made = run_case(server, name, template, clients, photo, args.count, kind=kind)
                cases.append(case)
                if server[0] == "tgpl":
                    sent += [(ident, kind) for ident, _ in made]
                    last = made
        submissions, villages = args.prefill
        if submissions:
            print(f"[{name}] pre-fill: {submissions:,} submissions, {villages:,} proposals …", file=sys.stderr,
                  flush=True)  # fmt: skip
            prefill_s, extra = prefill(database_url, tgpl_base, template, submissions, villages)
            print(f"[{name}] pre-filled in {prefill_s:.1f} s", file=sys.stderr, flush=True)
            for server in servers:
                case, made = run_case(server, name, template, args.long_clients, False, args.long_count,
                                      kind="proposal", prefilled=True)  # fmt: skip
                cases.append(case)
                if server[0] == "tgpl":
                    sent += [(ident, "proposal") for ident, _ in made]
                    last = made
        resend = [body for _, body in last[::RESEND_SHARE]]
        resend_failures = send(tgpl_base, resend, min(len(resend), 8)).failures
        rss = {"tgpl": peak_rss_mb(tgpl.pid), "bare": peak_rss_mb(bare.pid)}  # with workers: all processes
    rows, proposals = stored(database_url)
    problems = [f"resend: {failure}" for failure in resend_failures]
    missing = [ident for ident, _ in sent if rows.get(f"uuid:{ident}") != 1]
    if missing or len(rows) != len(sent) + submissions + extra:
        problems.append(f"{len(missing)} of {len(sent)} not stored exactly once; {len(rows)} rows in all")
    unproposed = [i for i, kind in sent if kind == "proposal" and proposals.get(f"submission:uuid:{i}") != 1]
    if unproposed:
        problems.append(f"{len(unproposed)} proposals without exactly one village")
    if problems:
        cases[-1].failures += problems
    print(f"[{name}] checked: {len(sent)} submissions stored once each, {len(resend)} resent", file=sys.stderr)
    return cases, rss, round(prefill_s, 1)


def summary(cases: list[Case]) -> list[dict[str, object]]:
    """tgpl's cases, each with the bare app's rate for the same case as the limit."""
    limits = {(c.database, c.clients, c.photo, c.kind, c.prefilled): c.rate_per_s for c in cases if c.target == "bare"}
    rows = []
    for case in cases:
        if case.target != "tgpl":
            continue
        limit = limits[(case.database, case.clients, case.photo, case.kind, case.prefilled)]
        row = {k: v for k, v in asdict(case).items() if k not in ("target", "failures")}
        rows.append({**row, "limit_per_s": limit, "ratio_to_limit": round(case.rate_per_s / limit, 2)})
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Run every database's cases, print a table, then the JSON line; 1 when any check failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions per case and server (default 1000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32], help="phones sending at once")
    parser.add_argument(
        "--kinds",
        nargs="+",
        choices=("commune", "proposal"),
        default=["commune", "proposal"],
        help="what the cases send: sessions at a commune (with and without a photo), proposals",
    )
    parser.add_argument(
        "--prefill",
        type=int,
        nargs=2,
        default=[100_000, 5_000],
        metavar=("SUBMISSIONS", "VILLAGES"),
        help="submissions (proposals among them) added before the last case; 0 0: none",
    )
    parser.add_argument("--long-count", type=int, default=5000, help="proposals sent on the pre-filled database")
    parser.add_argument("--long-clients", type=int, default=8, help="phones sending them")
    parser.add_argument("--quick", action="store_true", help="--count 200 --clients 8 --long-count 1000")
    parser.add_argument("--workers", type=int, default=1, help="server processes of each server (default 1)")
    parser.add_argument("--postgres", default=None, help="also run on PostgreSQL (a throwaway schema of this URL)")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True, help="run on SQLite")
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.clients, args.long_count = 200, [8], 1000
    if args.count < 10 or min(args.clients) < 1 or args.long_count < 10 or args.long_clients < 1:
        parser.error("--count and --long-count must be >= 10, --clients and --long-clients >= 1")
    if not 0 <= args.prefill[1] <= args.prefill[0]:
        parser.error("--prefill: the proposals are some of the submissions")
    cases: list[Case] = []
    rss: dict[str, dict[str, float]] = {}
    prefill_s: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="tgpl-bench-ingest-") as tmp:
        if args.sqlite:
            found, rss["sqlite"], prefill_s["sqlite"] = run_database("sqlite", None, args, Path(tmp))
            cases += found
        if args.postgres:
            with postgres_schema(args.postgres, "tgpl_bench") as url:
                found, rss["postgresql"], prefill_s["postgresql"] = run_database("postgresql", url, args, Path(tmp))
                cases += found
    rows = summary(cases)
    print(f"{'database':<11} {'phones':>6} {'photo':>5} {'sends':<9} {'data':<11} {'tgpl/s':>7} {'start/s':>7}"
          f" {'end/s':>7} {'cpu ms':>6} {'→ end':>6} {'p50 ms':>7} {'p99 ms':>7} {'bare/s':>7} ratio")  # fmt: skip
    for row in rows:
        data = f"+{args.prefill[0] // 1000}k subm." if row["prefilled"] else "fresh"
        print(f"{row['database']:<11} {row['clients']:>6} {'yes' if row['photo'] else 'no':>5} {row['kind']!s:<9}"
              f" {data:<11} {row['rate_per_s']:>7} {row['rate_start_per_s']:>7} {row['rate_end_per_s']:>7}"
              f" {row['cpu_start_ms']:>6} {row['cpu_end_ms']:>6} {row['p50_ms']:>7} {row['p99_ms']:>7}"
              f" {row['limit_per_s']:>7} {row['ratio_to_limit']}")  # fmt: skip
    print("start/s, end/s: the rate over a case's first and last tenth; cpu ms → end: tgpl's CPU per submission then")
    print(f"pre-fill (s): {prefill_s}")
    print(f"server peak RSS (MB): {rss}")
    failures = [f"{c.target} {c.database} {c.clients} {c.photo} {c.kind}: {f}" for c in cases for f in c.failures]
    for failure in failures[:10]:
        print(f"  ! {failure}")
    print(json.dumps({"workers": args.workers, "cases": rows, "prefill_s": prefill_s, "server_peak_rss_mb": rss,
                      "ok": not failures}))  # fmt: skip
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
