"""Importing a provincial village list: good rows kept, bad rows reported with their line numbers."""

from __future__ import annotations

from sqlmodel import Session

from server.places.village_import import import_villages
from server.places.villages import list_villages

CSV = """\ufeffcommune_code,scheme,name,lat,lon,code,status
01864,new,Thôn Nà Pài,22.65,105.67,,
01858,,Bản Khuổi Nộc,,,,
99999,,Thôn Ma,,,,
01864,new,,22.1,105.1,,
01864,new,Thôn Lạ,abc,105.1,,
01864,new,Thôn Một Nửa,22.1,,,
01864,new,Thôn Đề Xuất,,,,proposed
01957,new,Thôn Có Mã,,,TQ-01,confirmed
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
    assert columns.errors == [(1, "missing column(s): name, commune_code or commune_2025 or commune_old")]
    assert list_villages(backan) == []


def test_what_excel_writes_is_read(backan: Session) -> None:
    data = (
        "\ufeffCommune_Code;Name;Old_Commune_Code;Lat;Lon\r\n1864;Thôn Nà Làng;1858;22,65;105,67\r\n\r\n"
        "1864;Thôn Nà Làng;1861;;\r\n1864;Thôn Nà Lạng;1861;;\r\n1864;"
        + "x" * 300
        + ";1861;;\r\n1957;Thôn Cuối;1957;;\r\n"
    )
    report = import_villages(session=backan, data=data.encode(), source_ref="excel.csv")
    assert report.added == ["01864-001", "01864-002", "01864-003", "01957-001"]
    assert [line for line, _ in report.errors] == [6]  # the over-long name; the row after it is kept
    villages = {(v.name, v.old_commune_code): v for v in list_villages(backan)}
    assert villages[("Thôn Nà Làng", "01858")].lat == 22.65
    assert ("Thôn Nà Làng", "01861") in villages  # same name, another pre-2025 commune: another village
    assert ("Thôn Nà Lạng", "01861") in villages  # another tone: another name


def test_binary_files_are_refused(backan: Session) -> None:
    report = import_villages(session=backan, data=b"commune_code,name\n01864,A\x00B\n", source_ref="x.csv")
    assert report.errors == [(1, "the file holds NUL characters: it is not a text CSV file")]


def test_a_code_of_both_structures_must_say_which(backan: Session) -> None:
    """01864 is the 2025 commune Bằng Thành and the pre-2025 commune Bộc Bố (Pác Nặm), which went into it: a line
    that does not say which is refused, naming the code; scheme, commune_2025/commune_old or old_commune_code say it."""
    data = (
        "commune_code,scheme,commune_2025,commune_old,old_commune_code,name\n"
        "01864,,,,,Thôn Mơ Hồ\n"  # refused
        "01864,old,,,,Thôn Cũ\n"  # the pre-2025 commune Bộc Bố, in 2025 commune 01864
        "01864,new,,,,Thôn Mới\n"  # the 2025 commune, old commune unknown
        ",,01864,01858,,Thôn Hai Cột\n"  # separate columns
        "01864,,,,01861,Thôn Có Xã Cũ\n"  # old_commune_code beside it says the code is the 2025 one
        "01864,both,,,,Thôn Sai\n"  # refused: no such scheme
    ).encode()
    report = import_villages(session=backan, data=data, source_ref="hai-co-cau.csv")
    assert [line for line, _ in report.errors] == [2, 7]
    messages = dict(report.errors)
    assert "01864" in messages[2]
    assert "both structures" in messages[2]
    assert "scheme" in messages[7]
    villages = {v.name: (v.commune_code, v.old_commune_code) for v in list_villages(backan)}
    assert villages == {
        "Thôn Cũ": ("01864", "01864"),
        "Thôn Mới": ("01864", None),
        "Thôn Hai Cột": ("01864", "01858"),
        "Thôn Có Xã Cũ": ("01864", "01861"),
    }


def test_quotes_doubled_inside_a_quoted_name_are_read_as_one(backan: Session) -> None:
    data = 'commune_code,scheme,name\n01864,new,"Thôn ""Nà Pài"", trên"\n'.encode()
    report = import_villages(session=backan, data=data, source_ref="quotes.csv")
    assert report.errors == []
    assert [v.name for v in list_villages(backan)] == ['Thôn "Nà Pài", trên']
