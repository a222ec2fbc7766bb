"""Ingest benchmark: N Collect-style submissions (HEAD, POST, one photo each) to a live server on 127.0.0.1.

Run from the repository root: .venv/bin/python bench/ingest.py [--submissions N] [--concurrency C]
[--database-url URL] [--photo-bytes B] [--json]. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from server.app import create_app
from server.app_users import create_app_user
from server.config import Settings
from server.db import make_engine, migrate
from server.publish import publish_xform
from server.storage import BlobStore
from server.submissions import count_submissions

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from tests.collect_client import Attachment, CollectClient, instance_xml  # noqa: E402
from tests.conftest import DEMO_MEDIA, built_demo  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402
from tests.live_server import serve_in_thread  # noqa: E402

DEFAULT_SUBMISSIONS = 500
DEFAULT_CONCURRENCY = 4
DEFAULT_PHOTO_BYTES = 200_000
RESEND_EVERY = 10  # every 10th submission is sent again: 10 %
FORM_ID = "demo"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
JPEG_TAIL = b"\xff\xd9"
START_TIMEOUT_S = 20.0
MAX_REPORTED_FAILURES = 5


@dataclass(frozen=True)
class Job:
    """One instance to send: its index (which also seeds its photo), XML and photo file name."""

    index: int
    xml: bytes
    photo_name: str


@dataclass
class Outcome:
    """What one worker saw: POST latencies (seconds) and any unexpected responses."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Figures:
    """Everything the benchmark prints."""

    backend: str
    submissions: int
    concurrency: int
    photo_bytes: int
    wall_s: float
    submissions_per_s: float
    post_p50_ms: float
    post_p95_ms: float
    post_max_ms: float
    resent: int
    resend_ok: bool
    rows: int
    blob_dir_bytes: int
    blob_files: int
    peak_rss_mib: float
    ok: bool
    failures: list[str]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=DEFAULT_SUBMISSIONS, help="instances to send")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="worker threads")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--photo-bytes", type=int, default=DEFAULT_PHOTO_BYTES, help="size of each photo")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.submissions < 1 or args.concurrency < 1 or args.photo_bytes < len(JPEG_HEAD) + len(JPEG_TAIL):
        parser.error("--submissions and --concurrency must be >= 1, --photo-bytes >= 22")
    return args


@contextmanager
def database(base_url: str | None, data_dir: Path) -> Iterator[str | None]:
    """The URL to use: None (SQLite in data_dir), or base_url pointed at a fresh schema dropped afterwards."""
    if base_url is None:
        yield None
        return
    with postgres_schema(base_url, "tgpl_bench") as url:
        yield url


def prepare(settings: Settings, engine: Engine) -> str:
    """Migrate, publish the demo form with its media, and return a new app user's token."""
    migrate(engine)
    with Session(engine) as session:
        store = BlobStore(settings.blob_dir)
        publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
        _user, token = create_app_user(session=session, name="Máy đo tải")
    return token


def live_server(settings: Settings, engine: Engine) -> AbstractContextManager[str]:
    """Run create_app(settings) under uvicorn in a thread on a free port of 127.0.0.1; yields its base URL."""
    return serve_in_thread(create_app(settings, engine=engine), start_timeout=START_TIMEOUT_S)


def make_jobs(count: int) -> list[Job]:
    """count distinct instances of the demo form, each naming its own photo."""
    jobs = []
    for index in range(count):
        photo_name = f"photo-{index:06d}.jpg"
        xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", total=index, photo=photo_name)
        jobs.append(Job(index, xml, photo_name))
    return jobs


def photo(index: int, size: int) -> bytes:
    """A JPEG-looking blob of size bytes, different for each index and the same on every call."""
    filler = size - len(JPEG_HEAD) - len(JPEG_TAIL)
    body = hashlib.shake_256(f"tgpl-bench-photo-{index}".encode()).digest(filler)
    return JPEG_HEAD + body + JPEG_TAIL


def send(client: CollectClient, job: Job, photo_bytes: int, outcome: Outcome) -> None:
    """Send one instance as Collect does (HEAD, then one multipart POST) and record the POST latency."""
    head = client.head()
    if head.status_code != 204:
        outcome.failures.append(f"HEAD for #{job.index}: {head.status_code}")
        return
    attachment = Attachment(job.photo_name, photo(job.index, photo_bytes))
    started = time.perf_counter()
    response = client.post(job.xml, [attachment])
    outcome.latencies.append(time.perf_counter() - started)
    if response.status_code != 201:
        outcome.failures.append(f"POST #{job.index}: {response.status_code} {response.text[:200]}")


def worker(url: str, jobs: Sequence[Job], photo_bytes: int) -> Outcome:
    """Send jobs one after another with a client (and connection) of this worker's own."""
    outcome = Outcome()
    client = CollectClient(url)
    try:
        for job in jobs:
            send(client, job, photo_bytes, outcome)
    finally:
        client.http.close()
    return outcome


def send_all(url: str, jobs: Sequence[Job], photo_bytes: int, concurrency: int) -> tuple[Outcome, float]:
    """Spread jobs over concurrency workers; return their merged outcome and the wall time in seconds."""
    shares = [jobs[w::concurrency] for w in range(concurrency) if jobs[w::concurrency]]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        outcomes = list(pool.map(lambda share: worker(url, share, photo_bytes), shares))
    wall = time.perf_counter() - started
    merged = Outcome()
    for outcome in outcomes:
        merged.latencies += outcome.latencies
        merged.failures += outcome.failures
    return merged, wall


def percentile_ms(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of values (seconds), in milliseconds; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def disk_usage(root: Path) -> tuple[int, int]:
    """Bytes allocated on disk under root and the number of files there."""
    files = [path for path in root.rglob("*") if path.is_file()]
    return sum(path.stat().st_blocks * 512 for path in files), len(files)


def peak_rss_mib() -> float:
    """Peak resident set size of this process (server and clients together) in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB


def backend_name(engine: Engine) -> str:
    """The database backend and its server version, e.g. 'sqlite 3.45.1'."""
    version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
    return f"{engine.url.get_backend_name()} {version}".strip()


def stored_count(engine: Engine) -> int:
    """How many demo submissions the database holds."""
    with Session(engine) as session:
        return count_submissions(session, FORM_ID)


def run(args: argparse.Namespace, data_dir: Path) -> Figures:
    """Set up the server, send, resend, count, and gather the figures."""
    with database(args.database_url, data_dir) as url:
        settings = Settings(data_dir=data_dir / "var", database_url=url)
        engine = make_engine(settings.resolved_database_url)
        try:
            token = prepare(settings, engine)
            with live_server(settings, engine) as base:
                return measure(args, settings, engine, f"{base}/key/{token}")
        finally:
            engine.dispose()


def measure(args: argparse.Namespace, settings: Settings, engine: Engine, url: str) -> Figures:
    """Send the N instances, check the count, resend every 10th, check again."""
    jobs = make_jobs(args.submissions)
    first, wall = send_all(url, jobs, args.photo_bytes, args.concurrency)
    failures = list(first.failures)
    rows_before = stored_count(engine)
    resent_jobs = jobs[::RESEND_EVERY]
    again, _ = send_all(url, resent_jobs, args.photo_bytes, args.concurrency)
    rows = stored_count(engine)
    resend_ok = not again.failures and rows == rows_before
    failures += [f"resend {failure}" for failure in again.failures]
    if rows_before != args.submissions or rows != args.submissions:
        failures.append(f"rows: {rows_before} before the resend, {rows} after, expected {args.submissions}")
    blob_bytes, blob_files = disk_usage(settings.blob_dir)
    return Figures(
        backend=backend_name(engine),
        submissions=args.submissions,
        concurrency=args.concurrency,
        photo_bytes=args.photo_bytes,
        wall_s=round(wall, 2),
        submissions_per_s=round(args.submissions / wall, 1),
        post_p50_ms=percentile_ms(first.latencies, 50),
        post_p95_ms=percentile_ms(first.latencies, 95),
        post_max_ms=percentile_ms(first.latencies, 100),
        resent=len(resent_jobs),
        resend_ok=resend_ok,
        rows=rows,
        blob_dir_bytes=blob_bytes,
        blob_files=blob_files,
        peak_rss_mib=peak_rss_mib(),
        ok=not failures,
        failures=failures[:MAX_REPORTED_FAILURES],
    )


def table(figures: Figures) -> str:
    """The figures as an aligned two-column text table."""
    resend = f"{'ok' if figures.resend_ok else 'FAILED'} ({figures.resent} resent: all 201, no new rows)"
    rows: list[tuple[str, Any]] = [
        ("database backend", figures.backend),
        ("submissions", f"{figures.submissions} x {figures.photo_bytes:,} B photo"),
        ("concurrency", figures.concurrency),
        ("total wall time", f"{figures.wall_s:.2f} s"),
        ("submissions/second", f"{figures.submissions_per_s:.1f}"),
        ("POST latency p50", f"{figures.post_p50_ms:.1f} ms"),
        ("POST latency p95", f"{figures.post_p95_ms:.1f} ms"),
        ("POST latency max", f"{figures.post_max_ms:.1f} ms"),
        ("resend check", resend),
        ("final row count", figures.rows),
        ("blob dir on disk", f"{figures.blob_dir_bytes:,} B in {figures.blob_files} files"),
        ("peak RSS", f"{figures.peak_rss_mib:.1f} MiB"),
        ("result", "ok" if figures.ok else "FAILED"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines + [f"  ! {failure}" for failure in figures.failures])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark in a temp dir, print the figures, and return 0 only when every check passed."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tgpl-bench-") as tmp:
        figures = run(args, Path(tmp))
    print(json.dumps(asdict(figures), indent=2) if args.json else table(figures))
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
