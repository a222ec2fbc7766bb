"""Importing a provincial village list: good rows kept, bad rows reported with their line numbers."""

from __future__ import annotations

from sqlmodel import Session

from server.places.village_import import import_villages
from server.places.villages import list_villages

CSV = """\ufeffcommune_code,name,lat,lon,code,status
01864,Thôn Nà Pài,22.65,105.67,,
01858,Bản Khuổi Nộc,,,,
99999,Thôn Ma,,,,
01864,,22.1,105.1,,
01864,Thôn Lạ,abc,105.1,,
01864,Thôn Một Nửa,22.1,,,
01864,Thôn Đề Xuất,,,,proposed
01957,Thôn Có Mã,,,TQ-01,confirmed
""".encode()


def test_good_rows_are_kept_and_bad_rows_reported_by_line(backan: Session) -> None:
    report = import_villages(session=backan, data=CSV, source_ref="backan.csv")
    assert report.added == ["01864-001", "01864-002", "01864-003", "TQ-01"]
    assert [line for line, _ in report.errors] == [4, 5, 6, 7]
    messages = dict(report.errors)
    assert "99999" in messages[4]
    assert "required" in messages[5]
    assert "not a number" in messages[6]
    assert "latitude" in messages[7]
    statuses = {v.name: v.status for v in list_villages(backan)}
    assert statuses == {
        "Thôn Nà Pài": "confirmed",
        "Bản Khuổi Nộc": "confirmed",
        "Thôn Đề Xuất": "proposed",
        "Thôn Có Mã": "confirmed",
    }
    again = import_villages(session=backan, data=CSV, source_ref="backan.csv")
    assert again.added == []
    assert sorted(again.already) == ["01864-001", "01864-002", "01864-003", "TQ-01"]


def test_a_file_that_is_not_utf8_or_lacks_columns_is_refused_whole(backan: Session) -> None:
    latin = import_villages(
        session=backan, data="commune_code,name\n01864,Thôn Nà Pài\n".encode("utf-16"), source_ref="x.csv"
    )
    assert latin.errors[0][0] == 1
    assert "UTF-8" in latin.errors[0][1]
    columns = import_villages(session=backan, data=b"xa,ten\n01864,A\n", source_ref="x.csv")
    assert columns.errors == [(1, "missing column(s): commune_code, name")]
    assert list_villages(backan) == []


def test_what_excel_writes_is_read(backan: Session) -> None:
    data = (
        "\ufeffCommune_Code;Name;Old_Commune_Code;Lat;Lon\r\n1864;Thôn Nà Làng;1858;22,65;105,67\r\n\r\n"
        "1864;Thôn Nà Làng;1861;;\r\n1864;Thôn Nà Lạng;;;\r\n1864;" + "x" * 300 + ";;;\r\n1957;Thôn Cuối;;;\r\n"
    )
    report = import_villages(session=backan, data=data.encode(), source_ref="excel.csv")
    assert report.added == ["01864-001", "01864-002", "01864-003", "01957-001"]
    assert [line for line, _ in report.errors] == [6]  # the over-long name; the row after it is kept
    villages = {(v.name, v.old_commune_code): v for v in list_villages(backan)}
    assert villages[("Thôn Nà Làng", "01858")].lat == 22.65
    assert ("Thôn Nà Làng", "01861") in villages  # same name, another pre-2025 commune: another village
    assert ("Thôn Nà Lạng", None) in villages  # another tone: another name


def test_binary_files_are_refused(backan: Session) -> None:
    report = import_villages(session=backan, data=b"commune_code,name\n01864,A\x00B\n", source_ref="x.csv")
    assert report.errors == [(1, "the file holds NUL characters: it is not a text CSV file")]
