"""The "CSV zip" export in ODK Central's layout: one CSV per table, media flat under media/, in constant memory.

The submissions go by once. The root table is written straight into its zip entry as the rows come, so the first
bytes leave at once; a zip entry must be written whole, so each repeat's rows go to a temporary file meanwhile and
are copied in after it. Two cases spool the root table too: with attachments, because media go into the zip as
they come (no entry can be written while another is open), and with split_select_multiples, because the split
columns depend on every value seen: the temporary rows are then JSON lines (no CSV field size limit on the way back)
with a leading "read" flag, rewritten as CSV with the split columns inserted when copied.

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from exports.media_folder import MediaFolder
from exports.policy import CENTRAL, ExportPolicy
from exports.split_selects import SeenValues, SplitPlan
from exports.submission import ExportSubmission
from exports.submission_rows import submission_rows
from exports.table_schema import ExportSchema, Table, read_schema

PROGRESS_EVERY = 500
ZIP64_FROM = 1 << 30  # a spooled table this large gets zip64 headers, with room for split columns to grow it
CHUNK = 1 << 20  # bytes per copy step

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
    policy: ExportPolicy = CENTRAL,
) -> ExportStats:
    """Write the submissions (in the order given, newest first by convention) as Central's CSV zip into out, as
    the policy has them (a de-identified export leaves fields, metadata columns and media out, dates as months).

    attachments, when given, returns each submission's files as (name, content); the caller owns any stream it
    yields (a generator that opens each blob in a with block is fine). progress receives the number of
    submissions done, every PROGRESS_EVERY submissions and once at the end.
    """
    schema = read_schema(xform, group_paths=group_paths, policy=policy)
    attachments = attachments if policy.media else None
    seen = SeenValues(schema.tables) if split_select_multiples else None
    date_time = time.localtime()[:6]
    rows = _Rows(schema, seen, progress)
    tables = schema.tables
    streamed = seen is None and attachments is None  # the root table goes straight into the zip
    with ExitStack() as stack:
        spools = [None if streamed and index == 0 else stack.enter_context(_spool()) for index in range(len(tables))]
        archive = stack.enter_context(zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED))
        media = MediaFolder(archive, date_time)
        if streamed:
            # its size is unknown until the end: zip64 headers, so that a root table past 2 GiB is still written
            with _open_entry(archive, tables[0].file_name, date_time, zip64=True, bom=bom) as root:
                csv.writer(root, lineterminator="\n").writerow(tables[0].header)
                rows.write(submissions, [root, *(s for s in spools[1:] if s is not None)], media=None, attachments=None)
        else:
            rows.write(submissions, [s for s in spools if s is not None], media=media, attachments=attachments)
        for index, (table, spool) in enumerate(zip(tables, spools, strict=True)):
            if spool is not None:
                plan = None if seen is None else seen.plan(index)
                _add_table(archive, table, spool, plan, bom=bom, date_time=date_time)
    if progress is not None and (rows.done == 0 or rows.done % PROGRESS_EVERY):
        progress(rows.done)
    return ExportStats(
        submissions=rows.done,
        rows={table.file_name: count for table, count in zip(tables, rows.counts, strict=True)},
        media_files=media.added,
        media_skipped=tuple(media.skipped),
        unreadable=tuple(rows.unreadable),
    )


class _Rows:
    """Writes the rows of the submissions going by, counting them per table."""

    def __init__(self, schema: ExportSchema, seen: SeenValues | None, progress: Callable[[int], None] | None) -> None:
        self.schema = schema
        self.seen = seen
        self.progress = progress
        self.counts = [0] * len(schema.tables)
        self.unreadable: list[str] = []
        self.done = 0

    def write(
        self,
        submissions: Iterable[ExportSubmission],
        targets: Sequence[TextIO],
        *,
        media: MediaFolder | None,
        attachments: Attachments | None,
    ) -> None:
        """Write every submission's rows to its table's target (CSV, or JSON lines when splitting)."""
        schema, seen, progress, counts = self.schema, self.seen, self.progress, self.counts
        writerows = [csv.writer(target, lineterminator="\n").writerow for target in targets]
        writes = [target.write for target in targets]
        done = self.done
        for submission in submissions:
            result = submission_rows(schema, submission)
            for index, row in result.rows:
                if seen is None:
                    writerows[index](row)
                else:
                    seen.record(index, row)
                    writes[index](json.dumps([result.read, *row], ensure_ascii=False) + "\n")
                counts[index] += 1
            if result.unreadable:
                self.unreadable.append(submission.instance_id)
            if attachments is not None and media is not None:
                for name, content in attachments(submission):
                    media.add(name, content)
            done += 1
            self.done = done
            if progress is not None and done % PROGRESS_EVERY == 0:
                progress(done)


def _spool() -> TextIO:
    """A table's rows while the submissions go by: UTF-8 text in a temporary file (on disk, out of memory)."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="")


@contextmanager
def _open_entry(
    archive: zipfile.ZipFile, name: str, date_time: tuple[int, int, int, int, int, int], *, zip64: bool, bom: bool
) -> Iterator[TextIO]:
    """A CSV file being written into the zip, as text (UTF-8, with a byte-order mark when bom)."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        archive.open(info, "w", force_zip64=zip64) as raw,
        io.TextIOWrapper(raw, encoding="utf-8-sig" if bom else "utf-8", newline="") as text,
    ):
        yield text


def _add_table(
    archive: zipfile.ZipFile,
    table: Table,
    spool: TextIO,
    plan: SplitPlan | None,
    *,
    bom: bool,
    date_time: tuple[int, int, int, int, int, int],
) -> None:
    """Copy one table's spooled rows into the zip under its header; with a split plan, rewrite each JSON row."""
    spool.flush()
    size = spool.buffer.seek(0, io.SEEK_END)
    spool.seek(0)
    with _open_entry(archive, table.file_name, date_time, zip64=size > ZIP64_FROM, bom=bom) as text:
        writer = csv.writer(text, lineterminator="\n")
        if plan is None:
            writer.writerow(table.header)
            text.flush()  # the header (and byte-order mark) first, then the spooled bytes as they are
            shutil.copyfileobj(spool.buffer, text.buffer, CHUNK)
            return
        writer.writerow(plan.header(table.header))
        for line in spool:
            read, *cells = json.loads(line)
            writer.writerow(plan.row(cells, read=read))
