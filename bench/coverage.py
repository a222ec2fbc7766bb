"""Coverage benchmark: the province report over N sessions, the map of V villages, and formList with F forms.

Run from the repository root: .venv/bin/python bench/coverage.py [--count N] [--villages V] [--forms F]
[--runs R] [--requests Q] [--map-days D] [--database-url URL] [--json]. The last line printed is always one line of
JSON with the figures. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from defusedxml.ElementTree import fromstring
from pyxform.xls2xform import convert
from sqlalchemy import Engine
from sqlmodel import Session

from maps import page_html
from server.accounts.app_users import create_app_user
from server.core.config import Settings
from server.core.db import make_engine, migrate
from server.core.storage import BlobStore
from server.places.coverage import Coverage, coverage
from server.publishing.forms import publish_xform, set_state

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package (bench/ is first on the path: this script's)

from coverage_data import LAST_DAY, PROVINCE, Truth, load_province, populate  # noqa: E402

from tests.databases import postgres_schema  # noqa: E402
from tests.tgpl_server import free_port  # noqa: E402

DEFAULT_COUNT = 1_000_000
DEFAULT_VILLAGES = 10_000
DEFAULT_FORMS = 50
DEFAULT_RUNS = 5
DEFAULT_REQUESTS = 1000
DEFAULT_MAP_DAYS = 30
WARM_UP_REQUESTS = 20
PERIOD = (date(2026, 1, 1), LAST_DAY)  # the dashboard's default period: this half-year
STALE_DAYS = 90  # what the dashboard asks for
ASSET_BASE = "/static/map"  # where the web UI mounts Leaflet
START_TIMEOUT_S = 60.0
MAX_REPORTED_FAILURES = 5
SMALL_FORM = """
| survey |
| | type | name | label |
| | text | respondent | Người trả lời |
| | integer | age | Tuổi |
| | select_one yn | agreed | Đồng ý? |
| | {place_type} | place | Địa bàn |
| choices |
| | list_name | name | label |
| | yn | co | Có |
| | yn | khong | Không |
| settings |
| | form_id | version | form_title |
| | bench_form_{n:02d} | 1 | Biểu mẫu thử {n:02d} |
"""


@dataclass
class Figures:
    """Everything the benchmark measured."""

    backend: str
    count: int  # session records
    people: int  # person records
    villages: int
    forms: int
    load_s: float  # inserting the synthetic records (not a target; for planning re-runs)
    period: str
    province_sessions: int  # sessions in the period (all in the province)
    province_runs_ms: list[float]
    province_ms: float  # median of the runs
    map_period: str
    map_sessions: int  # session points on the map
    map_villages: int  # villages drawn
    map_coverage_ms: float  # the coverage query behind the map (not part of map_s)
    map_s: float
    map_bytes: int
    formlist_requests: int
    formlist_ms: float  # p50
    formlist_p99_ms: float
    ok: bool
    failures: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="session records (people: a tenth)")
    parser.add_argument("--villages", type=int, default=DEFAULT_VILLAGES, help="registry villages")
    parser.add_argument("--forms", type=int, default=DEFAULT_FORMS, help="published forms in the form list")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="province reports timed (median)")
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS, help="formList requests timed")
    parser.add_argument("--map-days", type=int, default=DEFAULT_MAP_DAYS, help="the map's period: the last D days")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp dir)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    if min(args.count, args.villages, args.forms, args.runs, args.requests, args.map_days) < 1:
        parser.error("every count must be >= 1")
    return args


@contextmanager
def database(base_url: str | None) -> Iterator[str | None]:
    """None (SQLite in the data dir), or base_url pointed at a fresh schema dropped afterwards."""
    if base_url is None:
        yield None
        return
    with postgres_schema(base_url, "tgpl_bench") as url:
        yield url


def say(args: argparse.Namespace, line: str) -> None:
    """A progress or result line on stderr (stdout carries the figures)."""
    if not args.json:
        print(line, file=sys.stderr, flush=True)


def timed_coverage(engine: Engine, start: date, end: date, *, points: bool) -> tuple[float, Coverage]:
    """The whole province's coverage in the pre-2025 structure (districts, communes, villages) and its time in ms,
    in a fresh session, as the dashboard (points=False) or the map (points=True) asks for it."""
    with Session(engine) as session:
        started = time.perf_counter()
        cov = coverage(session, start=start, end=end, scheme="old", area_code=PROVINCE, stale_days=STALE_DAYS,
                       points=points)  # fmt: skip
        return (time.perf_counter() - started) * 1000, cov


def measure_province(args: argparse.Namespace, engine: Engine, truth: Truth) -> tuple[float, list[float], list[str]]:
    """Median time of the province report over the runs, and what was wrong with its figures."""
    runs = []
    failures = []
    expected = truth.sessions_between(*PERIOD)
    for _ in range(args.runs):
        ms, cov = timed_coverage(engine, *PERIOD, points=False)
        runs.append(round(ms, 1))
        if cov.totals.sessions != expected:
            failures.append(f"province: {cov.totals.sessions} sessions counted, {expected} inserted in the period")
    return round(statistics.median(runs), 1), runs, failures


def measure_map(engine: Engine, truth: Truth, days: int) -> tuple[float, float, int, Coverage, list[str]]:
    """Coverage time (ms), map build time (s) and HTML size (bytes) for the last days of the data."""
    start = LAST_DAY - timedelta(days=days - 1)
    cov_ms, cov = timed_coverage(engine, start, LAST_DAY, points=True)
    started = time.perf_counter()
    html = page_html(cov, lang="vi", asset_base=ASSET_BASE)
    map_s = time.perf_counter() - started
    failures = []
    if cov.totals.sessions != truth.sessions_between(start, LAST_DAY):
        failures.append(f"map: {cov.totals.sessions} sessions, {truth.sessions_between(start, LAST_DAY)} inserted")
    if "Tỉnh Bắc Kạn" not in html or not html.rstrip().endswith("</html>"):
        failures.append("map: the page does not name the province or is cut short")
    return cov_ms, map_s, len(html.encode("utf-8")), cov, failures


def publish_forms(settings: Settings, engine: Engine, count: int) -> str:
    """Publish count small forms (every fifth with a generated communes.csv) and return a new app user's token."""
    with Session(engine) as session:
        for xml_form_id in ("tgpl_session", "tgpl_person"):  # the synthetic records' forms: not in this list
            set_state(session=session, xml_form_id=xml_form_id, state="closed", actor="bench")
        store = BlobStore(settings.blob_dir)
        for n in range(count):
            place = "select_one_from_file communes.csv" if n % 5 == 0 else "text"
            markdown = SMALL_FORM.format(n=n, place_type=place)
            xform = convert(xlsform=markdown, file_type=".md").xform.encode("utf-8")
            publish_xform(session=session, store=store, xform=xform, media={}, actor="bench")
        _user, token = create_app_user(session=session, name="Máy đo formList")
    return token


@contextmanager
def tgpl_serve(settings: Settings, log: Path) -> Iterator[str]:
    """`tgpl serve` in a child process on 127.0.0.1 over the same data dir and database; yields its base URL."""
    port = free_port()
    env = {**os.environ, "TGPL_DATA_DIR": str(settings.data_dir), "TGPL_DATABASE_URL": settings.resolved_database_url}
    command = [str(Path(sys.executable).with_name("tgpl")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(client: httpx.Client, url: str, log: Path) -> None:
    """Poll url until the server answers, or fail with the end of its log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            client.get(url)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"tgpl serve did not start; its log ends:\n{log.read_text(errors='replace')[-2000:]}")


def measure_formlist(args: argparse.Namespace, url: str, log: Path) -> tuple[float, float, list[str]]:
    """p50 and p99 (ms) of GET formList over one keep-alive connection, and what was wrong with the answers."""
    failures: list[str] = []
    latencies = []
    with httpx.Client(headers={"X-OpenRosa-Version": "1.0"}, timeout=30) as client:
        wait_ready(client, url, log)
        for n in range(WARM_UP_REQUESTS + args.requests):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if n >= WARM_UP_REQUESTS:
                latencies.append(elapsed)
            if response.status_code != 200:
                failures.append(f"formList: {response.status_code} {response.text[:200]}")
        listed = [e for e in fromstring(response.content).iter() if e.tag.endswith("}xform")]
        if len(listed) != args.forms:
            failures.append(f"formList: {len(listed)} forms listed, {args.forms} published")
    return percentile_ms(latencies, 50), percentile_ms(latencies, 99), failures


def percentile_ms(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of values (seconds), in milliseconds."""
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1] * 1000, 2)


def backend_name(engine: Engine) -> str:
    """The database backend and its server version, e.g. 'sqlite 3.45.1'."""
    version = ".".join(str(part) for part in engine.dialect.server_version_info or ())
    return f"{engine.url.get_backend_name()} {version}".strip()


def run(args: argparse.Namespace, data_dir: Path) -> Figures:
    """Load the province and the records, then take the three measures."""
    with database(args.database_url) as url:
        settings = Settings(data_dir=data_dir / "var", database_url=url)
        engine = make_engine(settings.resolved_database_url)
        try:
            migrate(engine)
            started = time.perf_counter()
            communes = load_province(engine)
            truth = populate(engine, communes, villages=args.villages, sessions=args.count, people=args.count // 10,
                             progress=lambda line: say(args, line))  # fmt: skip
            load_s = round(time.perf_counter() - started, 1)
            say(args, f"loaded in {load_s} s; timing the province report ...")
            province_ms, runs, failures = measure_province(args, engine, truth)
            say(args, f"province report: median {province_ms} ms of {runs}")
            cov_ms, map_s, map_bytes, cov, map_failures = measure_map(engine, truth, args.map_days)
            say(args, f"map: {map_s:.2f} s, {map_bytes:,} bytes ({len(cov.sessions):,} session points)")
            token = publish_forms(settings, engine, args.forms)
            log = data_dir / "serve.log"
            with tgpl_serve(settings, log) as base:
                p50, p99, list_failures = measure_formlist(args, f"{base}/key/{token}/formList", log)
            say(args, f"formList: p50 {p50} ms, p99 {p99} ms")
            failures += map_failures + list_failures
            return Figures(
                backend=backend_name(engine),
                count=args.count,
                people=truth.people,
                villages=args.villages,
                forms=args.forms,
                load_s=load_s,
                period=f"{PERIOD[0]}/{PERIOD[1]}",
                province_sessions=truth.sessions_between(*PERIOD),
                province_runs_ms=runs,
                province_ms=province_ms,
                map_period=f"{cov.start}/{cov.end}",
                map_sessions=len(cov.sessions),
                map_villages=sum(1 for v in cov.villages if v.status == "confirmed"),
                map_coverage_ms=round(cov_ms, 1),
                map_s=round(map_s, 3),
                map_bytes=map_bytes,
                formlist_requests=args.requests,
                formlist_ms=p50,
                formlist_p99_ms=p99,
                ok=not failures,
                failures=failures[:MAX_REPORTED_FAILURES],
            )
        finally:
            engine.dispose()


def table(figures: Figures) -> str:
    """The figures as an aligned two-column text table."""
    rows = [
        ("database backend", figures.backend),
        ("records", f"{figures.count:,} sessions, {figures.people:,} people, {figures.villages:,} villages"),
        ("load time", f"{figures.load_s} s"),
        ("province report", f"{figures.province_ms} ms median ({figures.province_sessions:,} sessions in "
                            f"{figures.period}; runs {figures.province_runs_ms})"),
        ("map", f"{figures.map_s:.2f} s to build, {figures.map_bytes / 1e6:.2f} MB ({figures.map_villages:,} "
                f"villages, {figures.map_sessions:,} session points, {figures.map_period})"),
        ("map coverage query", f"{figures.map_coverage_ms} ms"),
        ("formList", f"p50 {figures.formlist_ms} ms, p99 {figures.formlist_p99_ms} ms "
                     f"({figures.forms} forms, {figures.formlist_requests} requests)"),
        ("result", "ok" if figures.ok else "FAILED"),
    ]  # fmt: skip
    width = max(len(label) for label, _ in rows)
    return "\n".join([f"{label:<{width}}  {value}" for label, value in rows] + [f"  ! {f}" for f in figures.failures])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark in a temp dir, print the figures, then one JSON line; 0 only when every check passed."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tgpl-bench-coverage-") as tmp:
        figures = run(args, Path(tmp))
    if not args.json:
        print(table(figures))
    print(json.dumps(asdict(figures), ensure_ascii=False))
    return 0 if figures.ok else 1


if __name__ == "__main__":
    sys.exit(main())
