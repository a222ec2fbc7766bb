"""The "CSV zip" export in ODK Central's layout: one CSV per table, media flat under media/, in constant memory.

Each table is written to its own spooled temporary file while the submissions go by once; the files are then
copied into the zip (media go in as they come). With split_select_multiples the split columns depend on every
value seen, so the temporary rows are JSON lines (no CSV field size limit on the way back) with a leading "read"
flag, and are rewritten as CSV with the split columns inserted when copied.

Values are verbatim from the XML; no formula guard is applied here (see exports.excel_safe). The CSVs are UTF-8
with a byte-order mark by default so that Excel reads Vietnamese text correctly; Central writes none (bom=False).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import BinaryIO

from exports.media_folder import MediaFolder
from exports.split_selects import SeenValues, SplitPlan
from exports.submission import ExportSubmission
from exports.submission_rows import submission_rows
from exports.table_schema import Table, read_schema

SPOOL_BYTES = 512 * 1024  # per table; past this a table's rows go to a file on disk
PROGRESS_EVERY = 500
ZIP64_FROM = 1 << 30  # a table this large gets zip64 headers, with room for split columns to grow it
CHUNK = 64 * 1024  # characters per copy step

Attachments = Callable[[ExportSubmission], Iterable[tuple[str, BinaryIO | bytes]]]


@dataclass(frozen=True, slots=True)
class ExportStats:
    """What an export wrote."""

    submissions: int
    rows: Mapping[str, int]  # file name → data rows
    media_files: int
    media_skipped: tuple[str, ...]  # attachment names refused (unsafe) or already present in media/
    unreadable: tuple[str, ...]  # KEYs of submissions whose XML was not well-formed: metadata-only rows


def write_csv_zip(
    out: BinaryIO,
    *,
    xform: bytes,
    submissions: Iterable[ExportSubmission],
    group_paths: bool = True,
    split_select_multiples: bool = False,
    bom: bool = True,
    attachments: Attachments | None = None,
    progress: Callable[[int], None] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> ExportStats:
    """Write the submissions (in the order given, newest first by convention) as Central's CSV zip into out;
    fields named in exclude are left out entirely (de-identified exports).

    attachments, when given, returns each submission's files as (name, content); the caller owns any stream it
    yields (a generator that opens each blob in a with block is fine). progress receives the number of
    submissions done, every PROGRESS_EVERY submissions and once at the end.
    """
    schema = read_schema(xform, group_paths=group_paths, exclude=exclude)
    seen = SeenValues(schema.tables) if split_select_multiples else None
    date_time = time.localtime()[:6]
    counts = [0] * len(schema.tables)
    unreadable: list[str] = []
    done = 0
    with ExitStack() as stack:
        spools = [stack.enter_context(_spool()) for _ in schema.tables]
        writers = [csv.writer(spool, lineterminator="\n") for spool in spools]  # csv-stringify: quote when needed
        archive = stack.enter_context(zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED))
        media = MediaFolder(archive, date_time)
        for submission in submissions:
            result = submission_rows(schema, submission)
            for index, row in result.rows:
                if seen is None:
                    writers[index].writerow(row)
                else:
                    seen.record(index, row)
                    spools[index].write(json.dumps([result.read, *row], ensure_ascii=False) + "\n")
                counts[index] += 1
            if result.unreadable:
                unreadable.append(submission.instance_id)
            if attachments is not None:
                for name, content in attachments(submission):
                    media.add(name, content)
            done += 1
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)
        for index, (table, spool) in enumerate(zip(schema.tables, spools, strict=True)):
            plan = None if seen is None else seen.plan(index)
            _add_table(archive, table, spool, plan, bom=bom, date_time=date_time)
    if progress is not None and (done == 0 or done % PROGRESS_EVERY):
        progress(done)
    return ExportStats(
        submissions=done,
        rows={table.file_name: count for table, count in zip(schema.tables, counts, strict=True)},
        media_files=media.added,
        media_skipped=tuple(media.skipped),
        unreadable=tuple(unreadable),
    )


def _spool() -> tempfile.SpooledTemporaryFile[str]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline="")


def _add_table(
    archive: zipfile.ZipFile,
    table: Table,
    spool: tempfile.SpooledTemporaryFile[str],
    plan: SplitPlan | None,
    *,
    bom: bool,
    date_time: tuple[int, int, int, int, int, int],
) -> None:
    """Copy one table's spooled rows into the zip under its header; with a split plan, rewrite each JSON row."""
    size = spool.seek(0, io.SEEK_END)
    spool.seek(0)
    info = zipfile.ZipInfo(table.file_name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        archive.open(info, "w", force_zip64=size > ZIP64_FROM) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig" if bom else "utf-8", newline="") as text,
    ):
        writer = csv.writer(text, lineterminator="\n")
        if plan is None:
            writer.writerow(table.header)
            shutil.copyfileobj(spool, text, CHUNK)
            return
        writer.writerow(plan.header(table.header))
        for line in spool:
            read, *cells = json.loads(line)
            writer.writerow(plan.row(cells, read=read))
