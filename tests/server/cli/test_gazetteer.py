"""`tgpl gazetteer` and `tgpl villages`, run as a coordinator would, with --json output."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from tests.cli_runner import tgpl, tgpl_json

pytestmark = pytest.mark.slow


@pytest.fixture
def ready(env: dict[str, str], java: None) -> dict[str, str]:
    """A data dir after `tgpl init` (which loads the default scope, Bắc Kạn)."""
    report = tgpl_json(env, "init")
    assert report["gazetteer"]["old commune"] == 108
    return env


def test_load_stats_and_search(ready: dict[str, str]) -> None:
    again = tgpl_json(ready, "gazetteer", "load", "--province", "06")
    assert (again["inserted"], again["updated"], again["successors"]) == (0, 0, 108)
    stats = tgpl_json(ready, "gazetteer", "stats")
    assert stats["places"] == {
        "new commune": 37,
        "new province": 1,
        "old commune": 108,
        "old district": 8,
        "old province": 1,
    }
    hits = tgpl_json(ready, "gazetteer", "search", "cho ra")
    assert {(h["scheme"], h["name"]) for h in hits[:2]} == {("new", "Xã Chợ Rã"), ("old", "Thị trấn Chợ Rã")}
    unknown = tgpl(ready, "gazetteer", "load", "--province", "99", ok=False)
    assert unknown.returncode == 1
    assert "99" in unknown.stderr
    text = tgpl(ready, "gazetteer", "load").stdout
    assert "reading vietnamadminunits" in text  # progress is shown
    assert "unchanged 155" in text


def test_village_workflow(ready: dict[str, str], tmp_path: Path) -> None:
    first = tgpl_json(
        ready, "villages", "propose", "--commune", "01864", "--name", "Thôn Nà Pài", "--lat", "22.65", "--lon", "105.67"
    )
    second = tgpl_json(
        ready, "villages", "propose", "--commune", "01858", "--name", "Bản Napài", "--lat", "22.6509", "--lon", "105.67"
    )
    assert second["duplicates"][0]["code"] == first["code"]
    assert 95 <= second["duplicates"][0]["distance_m"] <= 105
    proposals = tgpl_json(ready, "villages", "list", "--status", "proposed")
    assert [p["code"] for p in proposals] == [first["code"], second["code"]]  # by folded name: "na pai" < "napai"
    assert tgpl_json(ready, "villages", "confirm", first["code"])["status"] == "confirmed"
    merged = tgpl_json(ready, "villages", "merge", second["code"], "--into", first["code"])
    assert (merged["status"], merged["survivor"]) == ("merged", first["code"])
    renamed = tgpl_json(ready, "villages", "rename", str(first["id"]), "Thôn Nà Pài Trên")
    assert (renamed["code"], renamed["name"]) == (first["code"], "Thôn Nà Pài Trên")
    by_old_commune = tgpl_json(ready, "villages", "list", "--commune", "01858")  # the survivor learnt 01858
    assert [v["code"] for v in by_old_commune] == [first["code"], second["code"]]
    bad = tgpl(ready, "villages", "merge", first["code"], "--into", first["code"], ok=False)
    assert bad.returncode == 1

    csv_file = tmp_path / "thon.csv"
    csv_file.write_text("commune_code,scheme,name\n01957,new,Thôn Bản Sảng\n01957,new,\n01957,,Thôn Hai Nghĩa\n",
                        encoding="utf-8")  # fmt: skip
    imported = tgpl_json(ready, "villages", "import", str(csv_file))
    assert imported["added"] == ["01957-001"]
    assert imported["errors"][0] == {"line": 3, "message": "a name and a commune (commune_code, commune_2025 or "
                                                           "commune_old) are required"}  # fmt: skip
    assert imported["errors"][1]["line"] == 4  # 01957 is a 2025 and a pre-2025 commune: the line must say which
    assert "01957" in imported["errors"][1]["message"]
    assert tgpl_json(ready, "villages", "retire", "01957-001")["status"] == "retired"
    assert tgpl_json(ready, "gazetteer", "stats")["villages"] == {"confirmed": 1, "merged": 1, "retired": 1}


def test_boundaries_from_a_geojson_file(ready: dict[str, str], tmp_path: Path) -> None:
    ring = [[105.6, 22.6], [105.7, 22.6], [105.7, 22.7], [105.6, 22.7], [105.6, 22.6]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"ma": "01864"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        ],
    }
    path = tmp_path / "xa.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = tgpl_json(ready, "gazetteer", "boundaries", str(path), "--scheme", "new", "--code-property", "ma")
    assert report == {"matched": 1, "unmatched": [], "invalid": [], "villages_placed": []}
    # a village with a point but no old commune gets one when the old communes' boundaries arrive
    village = tgpl_json(ready, "villages", "propose", "--commune", "01933", "--name", "Thôn Cốc Tộc",
                        "--lat", "22.65", "--lon", "105.65")  # fmt: skip
    assert village["old_commune_code"] is None
    doc["features"][0]["properties"]["ma"] = "02041"  # Bằng Phúc, which went into 01933
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = tgpl_json(ready, "gazetteer", "boundaries", str(path), "--scheme", "old", "--code-property", "ma")
    assert report == {"matched": 1, "unmatched": [], "invalid": [], "villages_placed": [village["code"]]}
    assert tgpl_json(ready, "villages", "list", "--no-old-commune") == []


def test_coverage_of_an_empty_province(ready: dict[str, str]) -> None:
    report = tgpl_json(
        ready,
        "coverage",
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--area",
        "06",
        "--scheme",
        "old",
        "--stale-days",
        "90",
    )
    assert (report["area_name"], report["communes_reached_share"]) == ("Tỉnh Bắc Kạn", 0.0)
    assert len(report["not_reached"]["commune"]) == 108
    assert len(report["stale"]["district"]) == 8
    assert report["communes"][0]["counts"]["sessions"] == 0
    bad = tgpl(ready, "coverage", "--from", "2026-13-01", "--to", "2026-06-30", ok=False)
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr


def test_map_file_is_self_contained(ready: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ban-do.html"
    report = tgpl_json(ready, "map", "--from", "2026-01-01", "--to", "2026-06-30", "--out", str(out))
    assert (report["communes"], report["sessions"]) == (37, 0)
    html = out.read_text(encoding="utf-8")
    assert "Xã Bằng Thành" in html or json.dumps("Xã Bằng Thành")[1:-1] in html  # as text or in the map's script
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', html) == []  # everything inlined


def test_export_csv_zip_from_the_command_line(ready: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "phien.zip"
    report = tgpl_json(ready, "export", "csv", "tgpl_session", "--out", str(out), "--no-attachments")
    assert (report["submissions"], report["rows"]["tgpl_session.csv"]) == (0, 0)
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["tgpl_session-team.csv", "tgpl_session.csv"]
        header = archive.read("tgpl_session.csv").decode("utf-8")
    assert header.startswith("\ufeffSubmissionDate,session_type,")
    assert header.rstrip("\n").endswith("KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,"
                                        "ReviewState,DeviceID,Edits,FormVersion")  # fmt: skip
    assert "gps-Latitude,gps-Longitude,gps-Altitude,gps-Accuracy" in header


def test_directive_report_with_no_manual_step(ready: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "so-ket.xlsx"
    report = tgpl_json(ready, "report", "directive", "--period", "2026-H1", "--province", "06", "--out", str(out))
    assert (report["from"], report["to"], report["rule"]) == ("2025-12-15", "2026-06-14", "work")
    assert report["tables"] == {"Theo huyện (trước 2025)": 8, "Theo xã (từ 2025)": 37, "Chưa đến trong kỳ": 37}
    assert out.read_bytes()[:2] == b"PK"  # an .xlsx is a zip
    stat = tgpl_json(ready, "report", "directive", "--period", "2026-H1", "--rule", "stat", "--out",
                     str(tmp_path / "so-ket.csv"))  # fmt: skip
    assert (stat["from"], stat["to"]) == ("2026-01-01", "2026-05-31")
    assert "Thông tư 03/2019" in (tmp_path / "so-ket.csv").read_text(encoding="utf-8-sig")


def test_xlsx_and_geojson_exports_from_the_command_line(ready: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "phien.xlsx"
    assert tgpl_json(ready, "export", "xlsx", "tgpl_person", "--out", str(out), "--deidentified")["submissions"] == 0
    assert out.read_bytes()[:2] == b"PK"
    villages = tgpl_json(ready, "export", "geojson", "villages", "--from", "2026-01-01", "--to", "2026-06-30",
                         "--out", str(tmp_path / "thon.geojson"))  # fmt: skip
    assert villages["features"] == 0
    assert json.loads((tmp_path / "thon.geojson").read_text(encoding="utf-8"))["type"] == "FeatureCollection"
