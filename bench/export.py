"""Export benchmark: N synthetic submissions of a realistic form written as Central's CSV zip, in constant memory.

Run from the repository root: .venv/bin/python bench/export.py [--submissions N ...] [--split-select-multiples]
[--no-tracemalloc] [--json]. Each N is exported in a fresh child process (peak RSS is per process), then again
in another one under tracemalloc, which slows Python about fivefold. Exits 1 when any check fails.
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
FIRST_DATE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the newest submission; each older one a second earlier
ICT_OFFSET = timedelta(hours=7)
MAX_REPORTED_FAILURES = 5

FORM = """
| survey |
| | type | name | label | relevant | calculation |
| | start | start | | | |
| | end | end | | | |
| | today | today | | | |
| | select_one staff | interviewer | Cán bộ phỏng vấn | | |
| | text | respondent | Người trả lời | | |
| | text | phone | Số điện thoại | | |
| | integer | age | Tuổi | | |
| | select_one gender | gender | Giới tính | | |
| | date | visit_date | Ngày gặp | | |
| | begin_group | household | Hộ gia đình | | |
| | select_one province | province | Tỉnh | | |
| | text | village | Thôn | | |
| | integer | members | Số người | | |
| | decimal | income | Thu nhập (triệu đồng) | | |
| | end_group | | | | |
| | geopoint | location | Vị trí | | |
| | select_multiple need | needs | Nhu cầu pháp lý | | |
| | text | needs_other | Nhu cầu khác | selected(${needs}, 'other') | |
| | begin_repeat | member | Thành viên | | |
| | text | member_name | Họ tên | | |
| | integer | member_age | Tuổi | | |
| | select_one relation | relation | Quan hệ | | |
| | end_repeat | | | | |
| | calculate | adults | | | ${members} - 1 |
| | text | notes | Ghi chú | | |
| choices |
| | list_name | name | label |
| | staff | lan | Chị Lan |
| | staff | tu | Anh Tú |
| | staff | mai | Chị Mai |
| | gender | female | Nữ |
| | gender | male | Nam |
| | province | ha_giang | Hà Giang |
| | province | lao_cai | Lào Cai |
| | province | cao_bang | Cao Bằng |
| | need | land | Đất đai |
| | need | family | Hôn nhân gia đình |
| | need | labour | Lao động |
| | need | debt | Vay nợ |
| | need | other | Khác |
| | relation | spouse | Vợ/chồng |
| | relation | child | Con |
| | relation | parent | Cha/mẹ |
| settings |
| | form_id | version | form_title |
| | bench_export | 1 | Khảo sát trợ giúp pháp lý |
"""
ROOT_FIELDS = (
    "start",
    "end",
    "today",
    "interviewer",
    "respondent",
    "phone",
    "age",
    "gender",
    "visit_date",
    "province",
    "village",
    "members",
    "income",
    "location",
    "needs",
    "needs_other",
    "adults",
    "notes",
)
MEMBER_FIELDS = ("member_name", "member_age", "relation")
STAFF = ("lan", "tu", "mai")
PROVINCES = ("ha_giang", "lao_cai", "cao_bang")
VILLAGES = ("Nà Lạn", "Khuổi Phầy", "Bản Phố", "Lũng Cú", "Tả Van", "Pác Bó", "Sà Phìn")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Hoàng", "Nông", "Vàng", "Giàng", "Lò")
GIVEN = ("Thị Mai", "Văn Tú", "Thị Lan", "Văn Ba", "Thị Hoa", "Văn Sính", "Mí Chá")
NEEDS = ("land", "family debt", "labour", "land other", "", "debt labour family", "family")
RELATIONS = ("spouse", "child", "parent")
NOTES = ("", "Gặp tại nhà văn hoá thôn", "Hẹn gặp lại tuần sau, cần giấy tờ đất", 'Đã tư vấn "sổ đỏ", chờ trả lời')


@dataclass
class Figures:
    """What one export run measured."""

    submissions: int
    split_select_multiples: bool
    rows: int
    rows_by_file: dict[str, int]
    wall_s: float
    submissions_per_s: float
    rows_per_s: float
    zip_mb: float
    tracemalloc_peak_mib: float | None  # from the separate traced run; None when it was skipped
    tracemalloc_wall_s: float | None  # that run's wall time
    base_rss_mib: float
    peak_rss_mib: float
    ok: bool
    failures: list[str] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--submissions", type=int, nargs="+", default=list(DEFAULT_SUBMISSIONS), help="one run per N given"
    )
    parser.add_argument("--split-select-multiples", action="store_true", help="add a column per value chosen")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the slow run under tracemalloc")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child: run this N, print JSON
    parser.add_argument("--work-dir", type=Path, default=None, help=argparse.SUPPRESS)  # child: form and template
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)  # child: run under tracemalloc
    args = parser.parse_args(argv)
    if min(args.submissions) < 1 or (args.one is not None and (args.one < 1 or args.work_dir is None)):
        parser.error("--submissions must be >= 1")
    return args


def build_form() -> tuple[bytes, str]:
    """The built XForm and a str.format template of one filled instance with two members."""
    xform = build_xlsform(FORM, file_type=".md").xform
    values = {name: f"PH_{name}_PH" for name in ROOT_FIELDS}
    members = [{name: f"PH_{name}{n}_PH" for name in MEMBER_FIELDS} for n in range(MEMBERS_PER_SUBMISSION)]
    xml = fill(xform, values, repeats={"member": members}, instance_id="PH_instance_id_PH").decode()
    template = PLACEHOLDER.sub(r"{\1}", xml.replace("{", "{{").replace("}", "}}"))
    return xform, template


def xml_text(value: str) -> str:
    """value escaped as XML element text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def submissions(template: str, count: int) -> Iterator[ExportSubmission]:
    """count submissions of the form, newest first, each with its own instance ID and slightly different values."""
    notes = [xml_text(note) for note in NOTES]
    for i in range(count):
        moment = FIRST_DATE - timedelta(seconds=i)
        local = moment + ICT_OFFSET  # Collect writes times in the phone's zone
        day = f"{local:%Y-%m-%d}"
        stamp = f"{day}T{local:%H:%M:%S}.000+07:00"
        needs = NEEDS[i % len(NEEDS)]
        xml = template.format(
            instance_id=f"uuid:00000000-0000-4000-8000-{i:012d}",
            start=stamp,
            end=stamp,
            today=day,
            interviewer=STAFF[i % len(STAFF)],
            respondent=f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[i % len(GIVEN)]}",
            phone=f"09{i % 100_000_000:08d}",
            age=18 + i % 70,
            gender="female" if i % 2 else "male",
            visit_date=day,
            province=PROVINCES[i % len(PROVINCES)],
            village=VILLAGES[i % len(VILLAGES)],
            members=2 + i % 6,
            income=f"{(i % 997) / 10:.1f}",
            location=f"{22 + (i % 9973) / 10_000:.6f} {104 + (i % 7919) / 10_000:.6f} {300 + i % 500}.0 {i % 20}.5",
            needs=needs,
            needs_other=f"Tranh chấp số {i}" if "other" in needs else "",
            adults=1 + i % 6,
            notes=notes[i % len(notes)],
            member_name0=f"{SURNAMES[(i + 1) % len(SURNAMES)]} {GIVEN[(i + 2) % len(GIVEN)]}",
            member_age0=i % 90,
            relation0=RELATIONS[i % len(RELATIONS)],
            member_name1=f"{SURNAMES[(i + 3) % len(SURNAMES)]} {GIVEN[(i + 5) % len(GIVEN)]}",
            member_age1=(i + 37) % 90,
            relation1=RELATIONS[(i + 1) % len(RELATIONS)],
        )
        yield ExportSubmission(
            instance_id=f"uuid:00000000-0000-4000-8000-{i:012d}",
            submission_date=moment,
            submitter_id=1 + i % 12,
            submitter_name=f"Cán bộ {1 + i % 12}",
            attachments_present=0,
            attachments_expected=0,
            status=None,
            review_state=("approved", None, "hasIssues")[i % 3],
            device_id=f"collect:{i % 12:016x}",
            edits=0,
            form_version="1",
            xml=xml.encode(),
        )


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
        started = time.perf_counter()
        with path.open("wb") as out:
            stats = write_csv_zip(
                out, xform=xform, submissions=submissions(template, count), split_select_multiples=split
            )
        wall = time.perf_counter() - started
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
        submissions_per_s=round(count / wall, 1),
        rows_per_s=round(rows / wall, 1),
        zip_mb=round(zip_bytes / 1_000_000, 1),
        tracemalloc_peak_mib=None if traced_peak is None else round(traced_peak / 2**20, 1),
        tracemalloc_wall_s=round(wall, 2) if trace else None,
        base_rss_mib=base_rss,
        peak_rss_mib=peak_rss_mib(),
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
        ("submissions/s", lambda f: f"{f.submissions_per_s:,.0f}"),
        ("rows/s", lambda f: f"{f.rows_per_s:,.0f}"),
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
        runs = [measure(count, work_dir, split=split, trace=trace) for count in args.submissions]
    print(json.dumps([asdict(f) for f in runs], indent=2) if args.json else table(runs))
    return 0 if all(f.ok for f in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
