"""Export benchmark on the path users take: N stored session submissions, exported by `tgpl export csv|xlsx` in a
fresh process and downloaded from `tgpl serve` by a signed-in coordinator.

How the data is made. `tgpl init` sets up a data dir (SQLite, or a fresh PostgreSQL schema with --postgres URL);
`tgpl serve` then receives SEED real submissions of the session form over OpenRosa, as ODK Collect sends them: each
with a team of two (a repeat), one in ten with a photo, one in ten edited afterwards (a second version with a
deprecatedID). The server is stopped and the seed is multiplied to N by a bulk copy that writes exactly what
receiving wrote — the submission, its versions, their attachments, its facts — with a new instanceID in each copy's
XML (so each copy is its own blob file, hashed as the store names them) and upload times one second apart.

What is timed, for each N and database:
- `tgpl export csv tgpl_session --out F --no-attachments` and `tgpl export xlsx`, each in a fresh process: wall
  time, submissions/s, rows/s and the process's peak RSS; the start-up of a process that exports nothing
  (`tgpl export csv --help`) is reported apart.
- The web download `/forms/tgpl_session/submissions.csv.zip` by a coordinator: time to first byte, wall time,
  submissions/s, and the server's peak RSS.
- The exporter alone (bench/exporter.py, synthetic submissions, no database) as a separate line, for comparison.

Run from the repository root:
    .venv/bin/python bench/export.py [--count N ...] [--postgres URL] [--no-sqlite] [--no-exporter] [--json]
The last line printed is JSON with every figure. Exits 1 when a check fails (a row missing from an export).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, closing
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, MetaData, Table, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from bench.processes import peak_rss_mb, process  # noqa: E402
from forms.build import build_xlsform  # noqa: E402
from server.cli.setup import BUILTIN_FORMS  # noqa: E402
from server.core.config import Settings  # noqa: E402
from server.core.db import make_engine  # noqa: E402
from server.core.storage import BlobStore  # noqa: E402
from tests.collect_client import Attachment, CollectClient  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402
from tests.instances import fill  # noqa: E402
from tests.tgpl_server import free_port  # noqa: E402

BIN = Path(sys.executable).parent
SEED = 200
CHUNK = 5_000  # rows per bulk insert
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 80  # a 20 kB "photo"
UUID = re.compile(rb"uuid:[0-9a-f-]{36}")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COMMUNES = (("01864", 22.65, 105.67), ("01957", 22.44, 105.98), ("02020", 22.18, 106.0))


@dataclass
class Run:
    """One N on one database."""

    database: str
    submissions: int
    rows: int = 0
    load_s: float = 0.0
    startup_s: float = 0.0
    csv_s: float = 0.0
    csv_submissions_per_s: float = 0.0
    csv_rows_per_s: float = 0.0
    csv_peak_rss_mb: float = 0.0
    xlsx_s: float = 0.0
    xlsx_submissions_per_s: float = 0.0
    xlsx_peak_rss_mb: float = 0.0
    web_ttfb_ms: float = 0.0
    web_s: float = 0.0
    web_submissions_per_s: float = 0.0
    server_peak_rss_mb: float = 0.0
    failures: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres", metavar="URL", help="also on PostgreSQL (a fresh schema is made and dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-exporter", action="store_true", help="skip the exporter-only line")
    parser.add_argument("--json", action="store_true", help="print only the closing JSON line")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="make the data dirs in DIR and keep them")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def serving(env: dict[str, str], base: str) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """`tgpl serve` on the bench's data dir, up once it answers; stopped afterwards."""
    return process([str(BIN / "tgpl"), "serve"], env, f"{base}/login")


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command to its end: wall seconds, its peak RSS in MB (from wait4), its stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    out = child.stdout.read().decode()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode})")
    return wall, round(usage.ru_maxrss * 1024 / 1e6, 1), out


def seed(url: str, xform: bytes) -> None:
    """SEED submissions sent as Collect sends them; one in ten with a photo, one in ten edited afterwards."""
    phone = CollectClient(url)
    try:
        for i in range(SEED):
            commune, lat, lon = COMMUNES[i % len(COMMUNES)]
            values = {"session_date": f"2026-{1 + i % 6:02d}-{1 + i % 28:02d}", "commune": commune,
                      "participants_total": str(10 + i % 50), "participants_women": str(5 + i % 20),
                      "gps": f"{lat + i * 1e-4} {lon} 300 5", "remarks": f"Buổi số {i}: bà con hỏi về đất rừng",
                      "attendance_photo": "p.jpg" if i % 10 == 0 else ""}  # fmt: skip
            team = [
                {"member_name": "Hoàng Văn Minh", "member_role": "tro_giup_vien"},
                {"member_name": "Lý Thị Hoa", "member_role": "cong_tac_vien", "card_number": f"CTV-{i}"},
            ]
            instance = f"uuid:{uuid.uuid4()}"
            xml = fill(xform, values, repeats={"team": team}, instance_id=instance)
            photos = [Attachment("p.jpg", PHOTO)] if i % 10 == 0 else []
            assert phone.post(xml, photos).status_code == 201
            if i % 10 == 5:
                values["participants_total"] = str(11 + i % 50)
                edit = fill(xform, values, repeats={"team": team}, instance_id=f"uuid:{uuid.uuid4()}",
                            deprecated_id=instance)  # fmt: skip
                assert phone.post(edit, []).status_code == 201
    finally:
        phone.http.close()


def multiply(engine: Engine, store: BlobStore, count: int) -> None:
    """Copy the seed to count submissions, writing what receiving writes, with new instanceIDs and blobs."""
    meta = MetaData()
    tables = {name: Table(name, meta, autoload_with=engine)
              for name in ("submission", "submission_def", "submission_attachment", "session_fact")}  # fmt: skip
    submission, defs, files, facts = (tables[n] for n in ("submission", "submission_def", "submission_attachment",
                                                          "session_fact"))  # fmt: skip
    with engine.connect() as connection:
        seeds = [dict(r._mapping) for r in connection.execute(select(submission).order_by(submission.c.id))]
        seed_defs = [dict(r._mapping) for r in connection.execute(select(defs).order_by(defs.c.id))]
        seed_files = [dict(r._mapping) for r in connection.execute(select(files))]
        seed_facts = {r.submission_id: dict(r._mapping) for r in connection.execute(select(facts))}
        next_submission = connection.execute(select(func.max(submission.c.id))).scalar_one() + 1
        next_def = connection.execute(select(func.max(defs.c.id))).scalar_one() + 1
        next_file = (connection.execute(select(func.max(files.c.id))).scalar_one() or 0) + 1
    defs_of: dict[int, list[dict[str, Any]]] = {}
    for row in seed_defs:
        defs_of.setdefault(row["submission_id"], []).append(row)
    files_of: dict[int, list[dict[str, Any]]] = {}
    for row in seed_files:
        files_of.setdefault(row["submission_def_id"], []).append(row)
    xml_of = {row["id"]: store.read(row["xml_sha256"]) for row in seed_defs}
    oldest = min(row["created_at"] for row in seeds)
    pending: dict[str, list[dict[str, Any]]] = {"submission": [], "submission_def": [], "submission_attachment": [],
                                                "session_fact": []}  # fmt: skip
    for copy in range(count - len(seeds)):
        original = seeds[copy % len(seeds)]
        renamed = {old: f"uuid:{uuid.uuid4()}".encode() for d in defs_of[original["id"]]
                   for old in UUID.findall(xml_of[d["id"]])}  # fmt: skip
        sid = next_submission + copy
        moment = oldest - timedelta(seconds=copy + 1)
        pending["submission"].append({**original, "id": sid, "created_at": moment,
                                      "instance_id": renamed[original["instance_id"].encode()].decode()})  # fmt: skip
        for old_def in defs_of[original["id"]]:
            xml = UUID.sub(lambda m, names=renamed: names[m.group(0)], xml_of[old_def["id"]])
            sha = hashlib.sha256(xml).hexdigest()
            path = store.path(sha)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(xml)  # no fsync: a bench's copy, not a phone's record
            did = next_def
            next_def += 1
            instance = UUID.search(xml)
            pending["submission_def"].append({**old_def, "id": did, "submission_id": sid, "xml_sha256": sha,
                                              "xml_size": len(xml), "created_at": moment,
                                              "instance_id": instance.group(0).decode() if instance else "",
                                              "deprecated_id": renamed[old_def["deprecated_id"].encode()].decode()
                                              if old_def["deprecated_id"] else None})  # fmt: skip
            for attachment in files_of.get(old_def["id"], []):
                pending["submission_attachment"].append({**attachment, "id": next_file, "submission_def_id": did})
                next_file += 1
            if old_def["current"] and original["id"] in seed_facts:
                pending["session_fact"].append({**seed_facts[original["id"]], "submission_id": sid,
                                                "submission_def_id": did})  # fmt: skip
        if len(pending["submission"]) >= CHUNK:
            _flush(engine, tables, pending)
    _flush(engine, tables, pending)
    if engine.dialect.name == "postgresql":  # ids were given: move the sequences past them
        with engine.begin() as connection:
            for name in ("submission", "submission_def", "submission_attachment"):
                statement = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"  # noqa: S608 - a name from the tuple above
                connection.execute(text(statement))


def _flush(engine: Engine, tables: dict[str, Table], pending: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as connection:
        for name in ("submission", "submission_def", "submission_attachment", "session_fact"):
            if pending[name]:
                connection.execute(insert(tables[name]), pending[name])
                pending[name].clear()


def signed_in(base: str, password: str) -> httpx.Client:
    """A browser signed in as the admin."""
    client = httpx.Client(base_url=base, timeout=600)
    page = client.get("/login").text
    token = CSRF.search(page)
    assert token, "no sign-in form"
    answer = client.post("/login", data={"username": "admin", "password": password, "csrf": token.group(1),
                                         "next": "/"})  # fmt: skip
    assert answer.status_code == 303, answer.text[:300]
    return client


def root_rows(data: bytes) -> int:
    """The rows of the root table of a CSV zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("tgpl_session.csv").count(b"\n") - 1


def run(database: str, url: str | None, count: int, tmp: Path, xform: bytes) -> Run:
    """Make count submissions on one database, then time each way of exporting them."""
    result = Run(database, count)
    data = tmp / f"{database}-{count}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TGPL_DATA_DIR": str(data), "TGPL_HOST": "127.0.0.1", "TGPL_PORT": str(port),
           "TGPL_PUBLIC_URL": base}  # fmt: skip
    if url:
        env["TGPL_DATABASE_URL"] = url
    log(f"[{database} N={count:,}] tgpl init, {SEED} submissions from a phone …")
    init = json.loads(subprocess.run([str(BIN / "tgpl"), "init", "--json"], env=env, capture_output=True, text=True,
                                     check=True).stdout)  # fmt: skip
    settings = Settings(data_dir=data, database_url=url)
    with serving(env, base):
        seed(init["app_user"]["url"].rstrip("/"), xform)
    log(f"[{database} N={count:,}] copying the seed to {count:,} …")
    started = time.perf_counter()
    engine = make_engine(settings.resolved_database_url)
    try:
        multiply(engine, BlobStore(settings.blob_dir), count)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    result.load_s = round(time.perf_counter() - started, 1)
    result.startup_s = round(timed_process([str(BIN / "tgpl"), "export", "csv", "--help"], env)[0], 2)
    out = data / "export.zip"
    log(f"[{database} N={count:,}] tgpl export csv …")
    wall, rss, _ = timed_process([str(BIN / "tgpl"), "export", "csv", "tgpl_session", "--out", str(out),
                                  "--no-attachments", "--json"], env)  # fmt: skip
    roots = root_rows(out.read_bytes())
    with zipfile.ZipFile(out) as archive:
        result.rows = sum(archive.read(n).count(b"\n") - 1 for n in archive.namelist() if n.endswith(".csv"))
    if roots != count:
        result.failures.append(f"csv: {roots} root rows, expected {count}")
    result.csv_s, result.csv_peak_rss_mb = round(wall, 2), rss
    result.csv_submissions_per_s, result.csv_rows_per_s = round(count / wall), round(result.rows / wall)
    log(f"[{database} N={count:,}] tgpl export xlsx …")
    wall, rss, _ = timed_process([str(BIN / "tgpl"), "export", "xlsx", "tgpl_session", "--out",
                                  str(data / "export.xlsx"), "--json"], env)  # fmt: skip
    result.xlsx_s, result.xlsx_peak_rss_mb, result.xlsx_submissions_per_s = round(wall, 2), rss, round(count / wall)
    log(f"[{database} N={count:,}] web download …")
    with serving(env, base) as server, closing(signed_in(base, init["admin"]["password"])) as browser:
        body = bytearray()
        started = time.perf_counter()
        first: float | None = None
        with browser.stream("GET", "/forms/tgpl_session/submissions.csv.zip") as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                first = first or time.perf_counter()
                body += chunk
        wall = time.perf_counter() - started
        result.server_peak_rss_mb = peak_rss_mb(server.pid)
    result.web_ttfb_ms = round(((first or started) - started) * 1000, 1)
    result.web_s, result.web_submissions_per_s = round(wall, 2), round(count / wall)
    if root_rows(bytes(body)) != count:
        result.failures.append(f"web: {root_rows(bytes(body))} root rows, expected {count}")
    return result


def exporter_only(count: int) -> dict[str, Any]:
    """bench/exporter.py for the same N: the exporter's own rate, without database or blob store."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "exporter.py"), "--count", str(count), "--no-tracemalloc", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])["runs"][0]
    return figures


def table(runs: Sequence[Run], exporter: dict[int, dict[str, Any]]) -> str:
    lines = [f"{'database':9} {'N':>9} {'rows':>9} {'start-up':>8} {'csv s':>7} {'csv sub/s':>10} {'csv RSS':>8} "
             f"{'xlsx sub/s':>10} {'web TTFB':>9} {'web sub/s':>10} {'server RSS':>10}"]  # fmt: skip
    for r in runs:
        lines.append(
            f"{r.database:9} {r.submissions:>9,} {r.rows:>9,} {r.startup_s:>7.2f}s {r.csv_s:>7.2f} "
            f"{r.csv_submissions_per_s:>10,} {r.csv_peak_rss_mb:>6.0f}MB {r.xlsx_submissions_per_s:>10,} "
            f"{r.web_ttfb_ms:>7.0f}ms {r.web_submissions_per_s:>10,} {r.server_peak_rss_mb:>8.0f}MB"
        )
    for count, figures in exporter.items():
        lines.append(
            f"exporter alone (bench/exporter.py, no database) N={count:,}: "
            f"{figures['submissions_per_s']:,.0f} submissions/s, {figures['rows_per_s']:,.0f} rows/s"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    xform = build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx").xform
    runs: list[Run] = []
    with ExitStack() as stack:
        tmp = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tgpl-export-bench-")))
        for count in args.count:
            if not args.no_sqlite:
                runs.append(run("sqlite", None, count, tmp, xform))
            if args.postgres:
                with postgres_schema(args.postgres, "tgpl_bench") as url:
                    runs.append(run("postgres", url, count, tmp, xform))
    exporter = {} if args.no_exporter else {count: exporter_only(count) for count in args.count}
    if not args.json:
        print(table(runs, exporter))
        for r in runs:
            for failure in r.failures:
                print(f"FAILED {r.database} N={r.submissions}: {failure}")
    ok = not any(r.failures for r in runs)
    print(json.dumps({"runs": [asdict(r) for r in runs], "exporter_only": exporter, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
