"""The commune and village lists phones use as select_one_from_file media."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from server.places import villages as registry
from server.places.media import NOT_LISTED, communes_csv, villages_csv


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_communes_list_has_the_37_new_communes_with_their_old_districts(backan: Session) -> None:
    communes = {r["name"]: r for r in rows(communes_csv(backan))}
    assert len(communes) == 37
    assert communes["01864"] == {
        "name": "01864",
        "label": "Xã Bằng Thành",
        "province": "19",
        "districts": "060",
        "district_names": "Huyện Pác Nặm",
    }
    assert {r["province"] for r in communes.values()} == {"19"}
    assert all(r["districts"] for r in communes.values())


def test_villages_list_has_confirmed_villages_and_a_not_listed_choice_per_commune(backan: Session) -> None:
    before = villages_csv(backan)
    assert [r["name"] for r in rows(before)] == [NOT_LISTED] * 37
    proposed = registry.add_village(session=backan, commune_code="01858", name="Thôn Nà Pài")
    assert villages_csv(backan) == before  # a proposal is not offered to phones yet
    registry.confirm(session=backan, ref=proposed.code)
    after = rows(villages_csv(backan))
    bang_thanh = [r for r in after if r["commune"] == "01864"]
    assert bang_thanh == [
        {"name": "01864-001", "label": "Thôn Nà Pài", "commune": "01864", "old_commune": "01858"},
        {
            "name": NOT_LISTED,
            "label": "Thôn/bản/tổ chưa có trong danh sách (not in the list)",
            "commune": "01864",
            "old_commune": "",
        },
    ]
    registry.retire(session=backan, ref=proposed.code)
    assert villages_csv(backan) == before
