"""Exporter-only benchmark: N synthetic submissions of the session form written as Central's CSV zip, no database, no
blob store (the real path, from the database to the file, is bench/export.py).

Run from the repository root: .venv/bin/python bench/exporter.py [--count N ...] [--split-select-multiples]
[--no-tracemalloc] [--json]. Each N is exported in a fresh child process (peak RSS is per process), then again
in another one under tracemalloc, which slows Python about fivefold. The last line printed is one line of JSON
with the figures. Exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

from exports import ExportSubmission, write_csv_zip
from forms.build import build_xlsform

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from tests.instances import fill  # noqa: E402

DEFAULT_SUBMISSIONS = (100_000, 1_000_000)
MEMBERS_PER_SUBMISSION = 2
CHILD_TIMEOUT_S = 1800.0  # per child; the 1M run under tracemalloc takes about 8 minutes on 2 cores
FORM_FILE = "form.xml"
TEMPLATE_FILE = "template.txt"
PLACEHOLDER = re.compile(r"PH_(\w+?)_PH")
VERSION = re.compile(r'^<\w+ [^>]*version="([^"]*)"')
FIRST_DATE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the newest submission; each older one a second earlier
ICT_OFFSET = timedelta(hours=7)
MAX_REPORTED_FAILURES = 5

SESSION_FORM = ROOT / "forms" / "xlsform" / "tgpl_session.xlsx"
COMMUNES = (("01864", "01864-001"), ("01867", "01867-004"), ("01957", "01957-002"), ("02020", "02020-007"))
STAFF = ("Nông Thị Hoa", "Hoàng Văn Tú", "Lý Thị Mai", "Triệu Văn Ba", "Ma Thị Lan", "Lục Văn Sính")
ROLES = ("tro_giup_vien", "luat_su", "cong_tac_vien", "tu_phap_xa", "truong_thon", "phien_dich")
VENUES = ("nha_van_hoa", "ubnd_xa", "truong_hoc", "nha_dan", "cho")
PARTNERS = ("ubnd_xa hoi_phu_nu", "hoi_nong_dan", "", "bien_phong doan_thanh_nien mat_tran", "phong_dan_toc")
ETHNIC = ("tay dao", "tay", "nung mong", "dao", "tay nung kinh")
LANGUAGES = ("viet", "viet tay", "viet dao", "viet mong")
LAWS = ("luat_tgpl hon_nhan_gia_dinh", "dat_dai", "bao_luc_gia_dinh mua_ban_nguoi", "tao_hon_can_huyet luat_tgpl")
FORMATS = ("noi_chuyen", "hoi_dap", "phien_toa_gia_dinh", "san_khau_hoa")
QUESTIONS = ("hinh_su", "dan_su", "hon_nhan_gia_dinh", "hanh_chinh", "dat_dai", "lao_dong", "uu_dai_chinh_sach", "khac")
REMARKS = ("", "Bà con hỏi nhiều về đất rừng", 'Cần thêm tờ gấp tiếng Dao, "sổ đỏ" & thừa kế', "Trời mưa, đến muộn")
MEMBER_FIELDS = ("member_name", "member_role", "card_number")


@dataclass
class Figures:
    """What one export run measured."""

    submissions: int
    split_select_multiples: bool
    rows: int
    rows_by_file: dict[str, int]
    wall_s: float
    ttfb_ms: float  # from the write_csv_zip call until its first byte reached the output file object
    submissions_per_s: float
    rows_per_s: float
    generator_s: float  # of wall_s, the time spent making the synthetic submissions (not exporting them)
    export_rows_per_s: float  # rows / (wall_s - generator_s): the exporter's own rate
    cpu_s: float  # CPU time of the call (generator included): on a loaded machine the rate wall time hides
    rows_per_cpu_s: float
    zip_mb: float
    tracemalloc_peak_mib: float | None  # from the separate traced run; None when it was skipped
    tracemalloc_wall_s: float | None  # that run's wall time
    base_rss_mib: float
    peak_rss_mib: float
    peak_rss_mb: float  # the same peak in MB (10^6 bytes), the unit of the targets
    ok: bool
    failures: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--count",
        "--submissions",  # the older name
        dest="count",
        type=int,
        nargs="+",
        default=list(DEFAULT_SUBMISSIONS),
        help="one run per N given",
    )
    parser.add_argument("--split-select-multiples", action="store_true", help="add a column per value chosen")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the slow run under tracemalloc")
    parser.add_argument("--json", action="store_true", help="print only the JSON line of figures")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child: run this N, print JSON
    parser.add_argument("--work-dir", type=Path, default=None, help=argparse.SUPPRESS)  # child: form and template
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)  # child: run under tracemalloc
    args = parser.parse_args(argv)
    if min(args.count) < 1 or (args.one is not None and (args.one < 1 or args.work_dir is None)):
        parser.error("--count must be >= 1")
    return args


def session_values(i: int, day: str) -> dict[str, object]:
    """The answers of the i-th synthetic session (values change with i, so columns do not compress to nothing)."""
    commune, village = COMMUNES[i % len(COMMUNES)]
    total = 15 + i % 60
    questions = {f"q_{name}": (i + n) % 4 for n, name in enumerate(QUESTIONS)}
    return {
        "session_type": "luu_dong" if i % 3 else "truyen_thong", "session_type_other": "", "session_date": day,
        "start_time": f"{8 + i % 11:02d}:{i % 4 * 15:02d}:00.000+07:00", "evening": "co" if i % 11 == 0 else "khong",
        "commune": commune, "village": village, "village_name": "", "village_point": "",
        "village_label": f"Thôn {village}", "venue": VENUES[i % len(VENUES)], "venue_other": "",
        "gps": f"{22 + (i % 9973) / 10_000:.6f} {105.5 + (i % 7919) / 10_000:.6f} {300 + i % 500}.0 {i % 20}.5",
        "organiser": "trung_tam" if i % 4 else "chi_nhanh", "partners": PARTNERS[i % len(PARTNERS)],
        "participants_total": total, "participants_women": total // 2, "participants_ethnic": total * 4 // 5,
        "ethnic_groups": ETHNIC[i % len(ETHNIC)], "language": LANGUAGES[i % len(LANGUAGES)],
        "interpreter": "co" if i % 4 == 2 else "khong", "laws": LAWS[i % len(LAWS)], "laws_other": "",
        "format": FORMATS[i % len(FORMATS)], "leaflets": total + i % 7, **questions,
        "questions_total": sum(questions.values()), "requests_received": i % 3, "requests_accepted": i % 3 // 2,
        "referrals": i % 5 // 4, "referral_to": "hoa_giai" if i % 5 == 4 else "",
        "remarks": xml_text(REMARKS[i % len(REMARKS)]), "attendance_photo": f"{1_700_000_000_000 + i}.jpg",
        "instanceName": f"{day} {village}",
    }  # fmt: skip


def member_values(i: int, member: int) -> dict[str, object]:
    """The member-th team member of the i-th session."""
    n = i + 3 * member
    return {
        f"member_name{member}": STAFF[n % len(STAFF)],
        f"member_role{member}": ROLES[n % len(ROLES)],
        f"card_number{member}": f"CTV-{n % 997:04d}" if ROLES[n % len(ROLES)] == "cong_tac_vien" else "",
    }


def build_form() -> tuple[bytes, str]:
    """The session form built from its XLSForm and a str.format template of one filled instance with two members."""
    xform = build_xlsform(SESSION_FORM).xform
    values = {name: f"PH_{name}_PH" for name in session_values(0, "")}
    members = [{name: f"PH_{name}{n}_PH" for name in MEMBER_FIELDS} for n in range(MEMBERS_PER_SUBMISSION)]
    xml = fill(xform, values, repeats={"team": members}, instance_id="PH_instance_id_PH").decode()
    template = PLACEHOLDER.sub(r"{\1}", xml.replace("{", "{{").replace("}", "}}"))
    return xform, template


def xml_text(value: str) -> str:
    """value escaped as XML element text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def submissions(template: str, count: int) -> Iterator[ExportSubmission]:
    """count session submissions, newest first, each with its own instance ID and slightly different answers."""
    version = VERSION.search(template)
    form_version = version.group(1) if version else ""
    for i in range(count):
        moment = FIRST_DATE - timedelta(seconds=i)
        local = moment + ICT_OFFSET  # Collect writes times in the phone's zone
        day = f"{local:%Y-%m-%d}"
        members: dict[str, object] = {}
        for member in range(MEMBERS_PER_SUBMISSION):
            members |= member_values(i, member)
        instance_id = f"uuid:00000000-0000-4000-8000-{i:012d}"
        xml = template.format(instance_id=instance_id, **session_values(i, day), **members)
        yield ExportSubmission(
            instance_id=instance_id,
            submission_date=moment,
            submitter_id=1 + i % 12,
            submitter_name=f"Cán bộ {1 + i % 12}",
            attachments_present=0,
            attachments_expected=1,
            status=None,
            review_state=("approved", None, "hasIssues")[i % 3],
            device_id=f"collect:{i % 12:016x}",
            edits=0,
            form_version=form_version,
            xml=xml.encode(),
        )


class GeneratorClock:
    """The submissions as they are made, adding up the time spent making them (so it can be told from the export)."""

    def __init__(self, made: Iterator[ExportSubmission]) -> None:
        self.made = made
        self.seconds = 0.0

    def __iter__(self) -> Iterator[ExportSubmission]:
        return self

    def __next__(self) -> ExportSubmission:
        started = time.perf_counter()
        try:
            return next(self.made)
        finally:
            self.seconds += time.perf_counter() - started


class FirstByteClock:
    """A binary file that notes when the first byte is written to it (everything else goes to the file as is)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.first_byte_at: float | None = None

    def write(self, data: bytes) -> int:
        """Write data, noting the time of the first non-empty write."""
        if self.first_byte_at is None and len(data):
            self.first_byte_at = time.perf_counter()
        return self.raw.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)  # tell, seek, flush...: what zipfile asks of a file


def peak_rss_mib() -> float:
    """Peak resident set size of this process over its lifetime in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux reports KiB


def run_one(count: int, work_dir: Path, *, split: bool, trace: bool) -> Figures:
    """Export count submissions to a zip in a temp dir under work_dir and measure it (run in a fresh process)."""
    xform = (work_dir / FORM_FILE).read_bytes()
    template = (work_dir / TEMPLATE_FILE).read_text(encoding="utf-8")
    base_rss = peak_rss_mib()
    with tempfile.TemporaryDirectory(prefix="export-", dir=work_dir) as tmp:
        path = Path(tmp) / "export.zip"
        if trace:
            tracemalloc.start()
        with path.open("wb") as raw:
            out = FirstByteClock(raw)
            made = GeneratorClock(submissions(template, count))
            started, cpu_started = time.perf_counter(), time.process_time()
            stats = write_csv_zip(
                cast(BinaryIO, out),
                xform=xform,
                submissions=made,
                split_select_multiples=split,
            )
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        first_byte = (out.first_byte_at or started) - started
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        zip_bytes = path.stat().st_size
    rows = sum(stats.rows.values())
    failures: list[str] = []
    if stats.submissions != count:
        failures.append(f"{stats.submissions} submissions written, expected {count}")
    if rows != count * (1 + MEMBERS_PER_SUBMISSION):
        failures.append(f"{rows} rows written, expected {count * (1 + MEMBERS_PER_SUBMISSION)}")
    if stats.unreadable:
        failures.append(f"{len(stats.unreadable)} unreadable submissions, e.g. {stats.unreadable[0]}")
    return Figures(
        submissions=stats.submissions,
        split_select_multiples=split,
        rows=rows,
        rows_by_file=dict(stats.rows),
        wall_s=round(wall, 2),
        ttfb_ms=round(first_byte * 1000, 1),
        submissions_per_s=round(count / wall, 1),
        rows_per_s=round(rows / wall, 1),
        generator_s=round(made.seconds, 2),
        export_rows_per_s=round(rows / max(wall - made.seconds, 1e-9), 1),
        cpu_s=round(cpu, 2),
        rows_per_cpu_s=round(rows / max(cpu, 1e-9), 1),
        zip_mb=round(zip_bytes / 1_000_000, 1),
        tracemalloc_peak_mib=None if traced_peak is None else round(traced_peak / 2**20, 1),
        tracemalloc_wall_s=round(wall, 2) if trace else None,
        base_rss_mib=base_rss,
        peak_rss_mib=peak_rss_mib(),
        peak_rss_mb=round(peak_rss_mib() * 2**20 / 1e6, 1),
        ok=not failures,
        failures=failures[:MAX_REPORTED_FAILURES],
    )


def spawn(count: int, work_dir: Path, *, split: bool, trace: bool) -> Figures:
    """Run one N in a fresh child process of this script and read the JSON line it prints last."""
    command = [sys.executable, str(Path(__file__).resolve()), "--one", str(count), "--work-dir", str(work_dir)]
    command += ["--split-select-multiples"] * split + ["--trace"] * trace
    print(f"N={count:,}: exporting{' under tracemalloc' if trace else ''} ...", file=sys.stderr, flush=True)
    result = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False, cwd=ROOT)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        sys.stderr.write(result.stderr)
        raise SystemExit(f"the run for N={count} failed with exit status {result.returncode}")
    return Figures(**json.loads(result.stdout.strip().splitlines()[-1]))


def measure(count: int, work_dir: Path, *, split: bool, trace: bool) -> Figures:
    """The timed run's figures for count, with the tracemalloc peak of a second, traced run when trace is set."""
    timed = spawn(count, work_dir, split=split, trace=False)
    if not trace:
        return timed
    traced = spawn(count, work_dir, split=split, trace=True)
    return replace(
        timed,
        tracemalloc_peak_mib=traced.tracemalloc_peak_mib,
        tracemalloc_wall_s=traced.tracemalloc_wall_s,
        ok=timed.ok and traced.ok,
        failures=timed.failures + [f"traced run: {failure}" for failure in traced.failures],
    )


def aligned(column: int, cell: str, width: int) -> str:
    """A cell padded to width: labels (column 0) to the left, figures to the right."""
    return f"{cell:<{width}}" if column == 0 else f"{cell:>{width}}"


def table(runs: Sequence[Figures]) -> str:
    """The figures as an aligned text table with one column per N."""
    labels: list[tuple[str, Callable[[Figures], str]]] = [
        ("submissions", lambda f: f"{f.submissions:,}"),
        ("split select_multiples", lambda f: "yes" if f.split_select_multiples else "no"),
        ("rows written", lambda f: f"{f.rows:,}"),
        ("wall time", lambda f: f"{f.wall_s:.2f} s"),
        ("time to first byte", lambda f: f"{f.ttfb_ms:,.0f} ms"),
        ("submissions/s", lambda f: f"{f.submissions_per_s:,.0f}"),
        ("rows/s", lambda f: f"{f.rows_per_s:,.0f}"),
        ("of which making submissions", lambda f: f"{f.generator_s:.2f} s"),
        ("rows/s, export alone", lambda f: f"{f.export_rows_per_s:,.0f}"),
        ("CPU time", lambda f: f"{f.cpu_s:.2f} s"),
        ("rows per CPU second", lambda f: f"{f.rows_per_cpu_s:,.0f}"),
        ("zip size on disk", lambda f: f"{f.zip_mb:.1f} MB"),
        (
            "tracemalloc peak",
            lambda f: "skipped" if f.tracemalloc_peak_mib is None else f"{f.tracemalloc_peak_mib:.1f} MiB",
        ),
        (
            "traced run wall time",
            lambda f: "skipped" if f.tracemalloc_wall_s is None else f"{f.tracemalloc_wall_s:.2f} s",
        ),
        ("RSS before export", lambda f: f"{f.base_rss_mib:.1f} MiB"),
        ("peak RSS", lambda f: f"{f.peak_rss_mib:.1f} MiB"),
        ("result", lambda f: "ok" if f.ok else "FAILED"),
    ]
    cells = [[label, *(render(f) for f in runs)] for label, render in labels]
    widths = [max(len(row[c]) for row in cells) for c in range(len(cells[0]))]
    lines = [
        "  ".join(aligned(c, cell, width) for c, (cell, width) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    failures = [f"  ! N={f.submissions}: {failure}" for f in runs for failure in f.failures]
    return "\n".join(lines + failures)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the form once, run each N in a child process, print the figures; 0 only when every check passed."""
    args = parse_args(argv)
    if args.one is not None:
        figures = run_one(args.one, args.work_dir, split=args.split_select_multiples, trace=args.trace)
        print(json.dumps(asdict(figures)))
        return 0 if figures.ok else 1
    with tempfile.TemporaryDirectory(prefix="tgpl-bench-export-") as tmp:
        work_dir = Path(tmp)
        xform, template = build_form()
        (work_dir / FORM_FILE).write_bytes(xform)
        (work_dir / TEMPLATE_FILE).write_text(template, encoding="utf-8")
        split, trace = args.split_select_multiples, not args.no_tracemalloc
        runs = [measure(count, work_dir, split=split, trace=trace) for count in args.count]
    if not args.json:
        print(table(runs))
    print(json.dumps(summary(runs), ensure_ascii=False))
    return 0 if all(f.ok for f in runs) else 1


def summary(runs: Sequence[Figures]) -> dict[str, Any]:
    """The one JSON line others compare: the largest N's figures at top level, then every run's figures."""
    largest = max(runs, key=lambda f: f.submissions)
    return {
        "count": largest.submissions,
        "rows_per_s": largest.rows_per_s,
        "export_rows_per_s": largest.export_rows_per_s,
        "peak_rss_mb": largest.peak_rss_mb,
        "ttfb_ms": largest.ttfb_ms,
        "ok": all(f.ok for f in runs),
        "runs": [asdict(f) for f in runs],
    }


if __name__ == "__main__":
    sys.exit(main())
