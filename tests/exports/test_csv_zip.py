"""The CSV zip in Central's layout: the exact text of every table for one form and three submissions."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import BinaryIO

import pytest

from exports.csv_zip import Attachments, ExportStats, write_csv_zip
from exports.submission import ExportSubmission
from forms.build import build_xlsform

FORM = """
| survey |
| | type | name | label | calculation |
| | text | respondent | Người trả lời | |
| | begin_group | place | Nơi ở | |
| | geopoint | location | Vị trí | |
| | select_multiple topic | topics | Vấn đề | |
| | end_group | | | |
| | note | thanks | Cảm ơn | |
| | begin_repeat | village | Thôn | |
| | text | village_name | Tên thôn | |
| | begin_repeat | household | Hộ | |
| | begin_group | head | Chủ hộ | |
| | text | head_name | Họ tên | |
| | integer | members | Số người | |
| | end_group | | | |
| | select_multiple topic | needs | Nhu cầu | |
| | calculate | seats | | ${members} + 1 |
| | end_repeat | | | |
| | end_repeat | | | |
| | image | photo | Ảnh | |
| choices |
| | list_name | name | label |
| | topic | land | Đất đai |
| | topic | debt | Nợ |
| | topic | family | Gia đình |
| settings |
| | form_id | version |
| | census | 3 |
"""

# Newest first, as the caller passes them. An edit (KEY stays the first version's instanceID, as in Central) ...
EDITED = """<data id="census" version="3">
  <respondent>Lê Văn "Ba", Hà Giang</respondent>
  <place>
    <location>22.8233 104.9836 300.0 4.5</location>
    <topics>land debt</topics>
  </place>
  <thanks/>
  <village>
    <village_name>Nà Lạn</village_name>
    <household>
      <head><head_name>Hoàng Thị Mai</head_name><members>4</members></head>
      <needs>family</needs>
      <seats>5</seats>
    </household>
  </village>
  <village>
    <village_name>Khuổi Phầy</village_name>
    <household>
      <head><head_name>Nông Văn Tú</head_name><members>2</members></head>
      <needs>land family</needs>
      <seats>3</seats>
    </household>
    <household>
      <head><head_name>=HYPERLINK("x")</head_name><members>1</members></head>
      <needs/>
      <seats>2</seats>
    </household>
  </village>
  <photo>1712345678901.jpg</photo>
  <meta>
    <instanceID>uuid:c2</instanceID>
    <deprecatedID>uuid:c1</deprecatedID>
  </meta>
</data>"""
# ... one without repeats, its location not relevant (left out) and a line break in a value ...
PLAIN = """<data id="census" version="3">
  <respondent>Trần Thị B
(xóm 3)</respondent>
  <place><topics/></place>
  <thanks/>
  <photo/>
  <meta><instanceID>uuid:b1</instanceID></meta>
</data>"""
ICT = timezone(timedelta(hours=7))


def submissions() -> list[ExportSubmission]:
    """The three submissions; the oldest is encrypted and could not be decrypted, so it has no XML."""
    return [
        ExportSubmission(
            instance_id="uuid:c1",
            submission_date=datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC),
            submitter_id=7,
            submitter_name="Chị Lan",
            attachments_present=1,
            attachments_expected=1,
            status=None,
            review_state="approved",
            device_id="collect:abc",
            edits=1,
            form_version="3",
            xml=EDITED.encode(),
        ),
        ExportSubmission(
            instance_id="uuid:b1",
            submission_date=datetime(2026, 3, 1, 16, 0, tzinfo=ICT),
            submitter_id=8,
            submitter_name="Anh Tú",
            attachments_present=0,
            attachments_expected=0,
            status=None,
            review_state=None,
            device_id=None,
            edits=0,
            form_version="3",
            xml=PLAIN.encode(),
        ),
        ExportSubmission(
            instance_id="uuid:a1",
            submission_date=datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
            submitter_id=None,
            submitter_name=None,
            attachments_present=0,
            attachments_expected=0,
            status="not decrypted",
            review_state=None,
            device_id=None,
            edits=0,
            form_version="2",
            xml=b"",
        ),
    ]


META = (
    "KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion"
)
ROOT_ROWS = """\
2026-03-02T09:15:30.123Z,"Lê Văn ""Ba"", Hà Giang",22.8233,104.9836,300.0,4.5,land debt,,1712345678901.jpg,uuid:c2,\
uuid:c1,7,Chị Lan,1,1,,approved,collect:abc,1,3
2026-03-01T09:00:00.000Z,"Trần Thị B
(xóm 3)",,,,,,,,uuid:b1,uuid:b1,8,Anh Tú,0,0,,,,0,3
2026-02-28T23:59:59.999Z,,,,,,,,,,uuid:a1,,,0,0,not decrypted,,,0,2
"""
VILLAGE = """\
village_name,PARENT_KEY,KEY
Nà Lạn,uuid:c1,uuid:c1/village[1]
Khuổi Phầy,uuid:c1,uuid:c1/village[2]
"""
HOUSEHOLD_ROWS = """\
Hoàng Thị Mai,4,family,5,uuid:c1/village[1],uuid:c1/village[1]/household[1]
Nông Văn Tú,2,land family,3,uuid:c1/village[2],uuid:c1/village[2]/household[1]
"=HYPERLINK(""x"")",1,,2,uuid:c1/village[2],uuid:c1/village[2]/household[2]
"""


@cache
def census() -> bytes:
    """The form built once (and checked by ODK Validate)."""
    return build_xlsform(FORM, file_type=".md").xform


def export(
    *,
    group_paths: bool = True,
    split_select_multiples: bool = False,
    bom: bool = True,
    attachments: Attachments | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, bytes], ExportStats]:
    """Export the three submissions; the zip's entries by name, and the stats."""
    out = io.BytesIO()
    stats = write_csv_zip(
        out,
        xform=census(),
        submissions=submissions(),
        group_paths=group_paths,
        split_select_multiples=split_select_multiples,
        bom=bom,
        attachments=attachments,
        progress=progress,
    )
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}, stats


def test_every_table_with_group_paths(java: None) -> None:
    files, stats = export(bom=False)
    assert list(files) == ["census.csv", "census-village.csv", "census-household.csv"]
    assert files["census.csv"].decode() == (
        "SubmissionDate,respondent,place-location-Latitude,place-location-Longitude,place-location-Altitude,"
        f"place-location-Accuracy,place-topics,thanks,photo,meta-instanceID,{META}\n" + ROOT_ROWS
    )
    assert files["census-village.csv"].decode() == VILLAGE
    assert files["census-household.csv"].decode() == (
        "head-head_name,head-members,needs,seats,PARENT_KEY,KEY\n" + HOUSEHOLD_ROWS
    )
    assert stats == ExportStats(
        submissions=3,
        rows={"census.csv": 3, "census-village.csv": 2, "census-household.csv": 3},
        media_files=0,
        media_skipped=(),
        unreadable=(),
    )


def test_bare_field_names_without_group_paths(java: None) -> None:
    files, _ = export(bom=False, group_paths=False)
    assert files["census.csv"].decode() == (
        "SubmissionDate,respondent,location-Latitude,location-Longitude,location-Altitude,location-Accuracy,"
        f"topics,thanks,photo,instanceID,{META}\n" + ROOT_ROWS
    )
    assert files["census-village.csv"].decode() == VILLAGE
    assert files["census-household.csv"].decode() == "head_name,members,needs,seats,PARENT_KEY,KEY\n" + HOUSEHOLD_ROWS


def test_split_select_multiples_adds_a_column_per_value_seen(java: None) -> None:
    files, _ = export(bom=False, split_select_multiples=True)
    # "family" is a choice of topics but nobody chose it there: no column. Unread rows get no 0s.
    assert (
        files["census.csv"].decode()
        == f"""\
SubmissionDate,respondent,place-location-Latitude,place-location-Longitude,place-location-Altitude,\
place-location-Accuracy,place-topics,place-topics/debt,place-topics/land,thanks,photo,meta-instanceID,{META}
2026-03-02T09:15:30.123Z,"Lê Văn ""Ba"", Hà Giang",22.8233,104.9836,300.0,4.5,land debt,1,1,,1712345678901.jpg,\
uuid:c2,uuid:c1,7,Chị Lan,1,1,,approved,collect:abc,1,3
2026-03-01T09:00:00.000Z,"Trần Thị B
(xóm 3)",,,,,,0,0,,,uuid:b1,uuid:b1,8,Anh Tú,0,0,,,,0,3
2026-02-28T23:59:59.999Z,,,,,,,,,,,,uuid:a1,,,0,0,not decrypted,,,0,2
"""
    )
    assert files["census-village.csv"].decode() == VILLAGE
    assert (
        files["census-household.csv"].decode()
        == """\
head-head_name,head-members,needs,needs/family,needs/land,seats,PARENT_KEY,KEY
Hoàng Thị Mai,4,family,1,0,5,uuid:c1/village[1],uuid:c1/village[1]/household[1]
Nông Văn Tú,2,land family,1,1,3,uuid:c1/village[2],uuid:c1/village[2]/household[1]
"=HYPERLINK(""x"")",1,,0,0,2,uuid:c1/village[2],uuid:c1/village[2]/household[2]
"""
    )


def test_bom_by_default_for_excel_and_none_on_request(java: None) -> None:
    with_bom, _ = export()
    without, _ = export(bom=False)
    for name, content in with_bom.items():
        assert content == b"\xef\xbb\xbf" + without[name]
    assert not without["census.csv"].startswith(b"\xef\xbb\xbf")


def test_keys_link_every_repeat_row_to_its_parent(java: None) -> None:
    files, _ = export(bom=False)
    tables = {name: [line.split(",") for line in content.decode().splitlines()[1:]] for name, content in files.items()}
    villages = {row[-1] for row in tables["census-village.csv"]}
    assert {row[-2] for row in tables["census-household.csv"]} <= villages
    assert {row[-2] for row in tables["census-village.csv"]} == {"uuid:c1"}
    assert all(row[-1].startswith(row[-2] + "/household[") for row in tables["census-household.csv"])


class Pipe(io.RawIOBase):
    """A stream that cannot seek, like a blob read from a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def attachments(submission: ExportSubmission) -> Iterator[tuple[str, BinaryIO | bytes]]:
    """The files stored with each submission; names come from the phone."""
    if submission.instance_id == "uuid:c1":
        yield "1712345678901.jpg", b"JPEG of the edited submission"
        yield "../../etc/passwd", b"refused"
        yield "audit.csv", io.BytesIO(b"event,start\nform start,1712345678901\n")
        yield "note.m4a", io.BufferedReader(Pipe(b"AAC audio"))  # size unknown until read
    if submission.instance_id == "uuid:b1":
        yield "1712345678901.jpg", io.BytesIO(b"another phone, same name")
        yield "a\\b.jpg", b"refused"


def test_media_go_flat_under_media_with_safe_names_only(java: None) -> None:
    progress: list[int] = []
    files, stats = export(attachments=attachments, progress=progress.append)
    media = {name: content for name, content in files.items() if name.startswith("media/")}
    assert media == {
        "media/1712345678901.jpg": b"JPEG of the edited submission",  # the newest of the two with that name
        "media/audit.csv": b"event,start\nform start,1712345678901\n",
        "media/note.m4a": b"AAC audio",
    }
    assert (stats.media_files, stats.media_skipped) == (3, ("../../etc/passwd", "1712345678901.jpg", "a\\b.jpg"))
    assert progress == [3]


def test_the_streamed_root_table_equals_the_spooled_one(java: None) -> None:
    streamed, streamed_stats = export()
    spooled, spooled_stats = export(attachments=attachments)  # media go in as they come: every table is spooled
    assert list(streamed) == ["census.csv", "census-village.csv", "census-household.csv"]
    assert list(spooled) == ["media/1712345678901.jpg", "media/audit.csv", "media/note.m4a", *streamed]
    assert streamed == {name: content for name, content in spooled.items() if not name.startswith("media/")}
    assert streamed_stats.rows == spooled_stats.rows


class Recorder(io.BytesIO):
    """An output that notes how many bytes it had received each time the exporter asked for a submission."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def received_by(self, submissions: Iterable[ExportSubmission]) -> Iterator[ExportSubmission]:
        """The submissions, noting the output's size before each is handed over."""
        for submission in submissions:
            self.sizes.append(self.getbuffer().nbytes)
            yield submission


def test_the_root_table_leaves_while_the_submissions_go_by(java: None) -> None:
    out = Recorder()
    write_csv_zip(out, xform=census(), submissions=out.received_by(synthetic(3000)), bom=False)
    with zipfile.ZipFile(out) as archive:
        first = archive.infolist()[0]
        root = archive.read("census.csv")
    assert (first.filename, first.header_offset) == ("census.csv", 0)
    # the entry's header went out before the first submission was read, and compressed rows long before the last
    assert out.sizes[0] >= len("PK\x03\x04census.csv")
    assert out.sizes[-1] > out.sizes[0] + len(root) // 20
    assert root.startswith(b"SubmissionDate,respondent,")
    assert root.count(b"\n") == 3001


def test_unreadable_xml_gives_a_metadata_only_row() -> None:
    xform = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"><h:head>
      <h:title>T</h:title><model><instance><data id="t"><q/></data></instance>
      <bind nodeset="/data/q" type="string"/></model></h:head><h:body/></h:html>"""
    broken = ExportSubmission(
        "uuid:x", datetime(2026, 1, 1, tzinfo=UTC), 1, "A", 0, 0, None, None, None, 0, "", b"<data>"
    )
    out = io.BytesIO()
    stats = write_csv_zip(out, xform=xform, submissions=[broken], bom=False)
    assert stats.unreadable == ("uuid:x",)
    with zipfile.ZipFile(out) as archive:
        assert (
            archive.read("t.csv").decode()
            == f"SubmissionDate,q,{META}\n2026-01-01T00:00:00.000Z,,uuid:x,1,A,0,0,,,,0,\n"
        )


def test_long_values_survive_the_split_rewrite(java: None) -> None:
    long = "Nà Pài, " * 30_000  # 240,000 characters: past the csv module's default field size limit
    xml = f'<data id="census"><respondent>{long}</respondent><meta><instanceID>uuid:l</instanceID></meta></data>'
    big = ExportSubmission(
        "uuid:l", datetime(2026, 1, 1, tzinfo=UTC), 1, "A", 0, 0, None, None, None, 0, "3", xml.encode()
    )
    out = io.BytesIO()
    write_csv_zip(out, xform=census(), submissions=[big], split_select_multiples=True, bom=False)
    with zipfile.ZipFile(out) as archive:
        assert f'"{long}"' in archive.read("census.csv").decode()


def synthetic(count: int) -> Iterable[ExportSubmission]:
    """Generated submissions: two villages of one household each, values that vary a little."""
    for n in range(count):
        xml = (
            f'<data id="census" version="3"><respondent>Người {n}</respondent><place>'
            f"<location>22.{n} 105.{n} 300 5</location><topics>{('land', 'debt', 'land debt')[n % 3]}</topics></place>"
            + "".join(
                f"<village><village_name>Thôn {n}-{v}</village_name><household><head><head_name>Hộ {n}</head_name>"
                f"<members>{n % 9}</members></head><needs>family</needs><seats>1</seats></household></village>"
                for v in (1, 2)
            )
            + f"<meta><instanceID>uuid:{n}</instanceID></meta></data>"
        )
        yield ExportSubmission(
            f"uuid:{n}", datetime(2026, 1, 1, tzinfo=UTC), 1, "A", 0, 0, None, None, None, 0, "3", xml.encode()
        )


@pytest.mark.slow
@pytest.mark.parametrize("split", [False, True], ids=["raw", "split"])
def test_streams_many_submissions_in_bounded_memory(java: None, tmp_path: Path, split: bool) -> None:
    xform = census()
    progress: list[int] = []
    tracemalloc.start()
    try:
        with (tmp_path / "census.zip").open("wb") as out:
            stats = write_csv_zip(
                out,
                xform=xform,
                submissions=synthetic(20_000),
                split_select_multiples=split,
                progress=progress.append,
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # about 2 MiB in practice (spooled tables of 512 KiB each); holding the rows in memory would take far more
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    assert progress == list(range(500, 20_001, 500))
    assert stats.rows == {"census.csv": 20_000, "census-village.csv": 40_000, "census-household.csv": 40_000}
    with zipfile.ZipFile(tmp_path / "census.zip") as archive:
        for name, rows in stats.rows.items():
            with archive.open(name) as table:
                assert sum(1 for _ in table) == rows + 1  # the header; no value here holds a line break
