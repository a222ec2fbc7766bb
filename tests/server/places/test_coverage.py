"""Coverage on a synthetic dataset sent as real submissions; the expected figures are computed in the test from
the same list, independently of the service."""

from __future__ import annotations

import json
from datetime import date
from functools import cache

import pytest
from sqlmodel import Session

from exports.geojson import sessions_geojson, villages_geojson
from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.errors import Conflict
from server.core.models import AppUser
from server.core.storage import BlobStore
from server.places import villages as registry
from server.places.coverage import coverage
from server.places.geo import load_boundaries
from server.places.gps_check import gps_flags
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.instances import fill

START, END = date(2026, 1, 1), date(2026, 6, 30)
# (date, commune, village key, participants, women, ethnic, received, accepted, gps)
SESSIONS = [
    ("2026-01-10", "01864", "V1", 40, 20, 35, 3, 1, "22.65 105.67 400 5"),
    ("2026-02-15", "01864", "V2", 30, 10, 25, 2, 2, "22.66 105.68 400 5"),
    ("2026-03-01", "01957", "V3", 50, 25, 45, 0, 0, "21.03 105.85 10 5"),  # recorded in Hà Nội: a GPS flag
    ("2026-03-05", "01864", "V4", 10, 5, 10, 1, 0, "22.65 105.67 400 5"),  # V4 is later merged into V1
    ("2025-11-20", "01957", "V3", 20, 9, 20, 0, 0, "22.44 105.98 500 5"),  # before the period
    ("2026-08-01", "01864", "V2", 25, 12, 20, 1, 1, "22.66 105.68 400 5"),  # after the period
]
# (date, village key, consent, categories)
PEOPLE = [
    ("2026-02-15", "V2", "dong_y", "ho_ngheo kk_hiv"),
    ("2026-02-15", "V2", "dong_y", "ho_ngheo"),
    ("2026-03-01", "V3", "tu_choi", ""),
]
VILLAGES = {  # key: (commune, old commune, name, point)
    "V1": ("01864", "01858", "Thôn Nà Pài", (22.65, 105.67)),
    "V2": ("01864", "01861", "Thôn Nà Hoi", (22.66, 105.68)),
    "V3": ("01957", "01957", "Thôn Bản Sảng", (22.44, 105.98)),
    "V4": ("01864", "01858", "Bản Napài", None),
}


@cache
def built(form_id: str) -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / f"{form_id}.xlsx")


@pytest.fixture
def dataset(backan: Session, store: BlobStore, java: None) -> dict[str, str]:
    """The villages, sessions and people above, stored through the real submission path; returns village codes."""
    codes = {}
    for key, (commune, old, name, point) in VILLAGES.items():
        village = registry.add_village(
            session=backan,
            commune_code=commune,
            old_commune_code=old,
            name=name,
            lat=point[0] if point else None,
            lon=point[1] if point else None,
        )
        registry.confirm(session=backan, ref=village.code)
        codes[key] = village.code
    for form_id in ("tgpl_session", "tgpl_person"):
        publish_xform(session=backan, store=store, xform=built(form_id).xform, media={})
    user, _ = create_app_user(session=backan, name="Phone")
    for day, commune, key, total, women, ethnic, received, accepted, gps in SESSIONS:
        values = {
            "session_date": day,
            "commune": commune,
            "village": codes[key],
            "participants_total": str(total),
            "participants_women": str(women),
            "participants_ethnic": str(ethnic),
            "requests_received": str(received),
            "requests_accepted": str(accepted),
            "gps": gps,
        }
        receive(session=backan, store=store, app_user=user, xml=fill(built("tgpl_session").xform, values), parts={})
    for day, key, consent, categories in PEOPLE:
        values = {
            "intake_date": day,
            "commune": VILLAGES[key][0],
            "village": codes[key],
            "consent": consent,
            "art7": categories,
            "age_years": "40",
            "sex": "nu",
        }
        receive(session=backan, store=store, app_user=user, xml=fill(built("tgpl_person").xform, values), parts={})
    registry.merge(session=backan, ref=codes["V4"], into=codes["V1"])
    return codes


def expected(keys: set[str]) -> dict[str, int]:
    """The sums over the sessions of the period at villages whose key is in keys (V4 counts as V1)."""
    rows = [
        s for s in SESSIONS if START.isoformat() <= s[0] <= END.isoformat() and ("V1" if s[2] == "V4" else s[2]) in keys
    ]
    return {
        "sessions": len(rows),
        "participants": sum(s[3] for s in rows),
        "women": sum(s[4] for s in rows),
        "ethnic": sum(s[5] for s in rows),
        "requests_received": sum(s[6] for s in rows),
        "requests_accepted": sum(s[7] for s in rows),
    }


def figures(row: object) -> dict[str, int]:
    counts = row.counts  # type: ignore[attr-defined]
    return {
        k: getattr(counts, k)
        for k in ("sessions", "participants", "women", "ethnic", "requests_received", "requests_accepted")
    }


def test_new_structure_by_village_and_commune(backan: Session, dataset: dict[str, str]) -> None:
    cov = coverage(backan, start=START, end=END, scheme="new", area_code="19", stale_days=120)
    villages = {v.code: v for v in cov.villages}
    assert set(villages) == {dataset["V1"], dataset["V2"], dataset["V3"]}  # the merged one is gone
    for key in ("V1", "V2", "V3"):
        assert figures(villages[dataset[key]]) == expected({key}), key
    communes = {c.code: c for c in cov.communes}
    assert len(communes) == 37
    assert figures(communes["01864"]) == expected({"V1", "V2"})
    assert figures(communes["01957"]) == expected({"V3"})
    assert cov.communes_reached_share == pytest.approx(2 / 37)
    assert cov.villages_reached_share == 1.0
    assert len(cov.not_reached("commune")) == 35
    v2 = villages[dataset["V2"]]
    assert (v2.last_session, v2.days_since) == (date(2026, 2, 15), (END - date(2026, 2, 15)).days)  # not August
    assert [r.code for r in cov.stale("village")] == [
        dataset["V2"],
        dataset["V3"],
    ]  # V1 was reached on 5 March (merged V4): 117 days
    assert villages[dataset["V2"]].counts.people == 2
    assert villages[dataset["V2"]].counts.categories == {"ho_ngheo": 2, "kk_hiv": 1}
    assert villages[dataset["V3"]].counts.people == 1  # a refusal is still a person met, with no category
    assert len(cov.sessions) == 4


def test_old_structure_rolls_up_to_districts_through_villages(backan: Session, dataset: dict[str, str]) -> None:
    cov = coverage(backan, start=START, end=END, scheme="old")
    communes = {c.code: c for c in cov.communes}
    assert len(communes) == 108
    assert figures(communes["01858"]) == expected({"V1"})  # old Bằng Thành, through V1 (and merged V4)
    assert figures(communes["01861"]) == expected({"V2"})  # old Nhạn Môn
    districts = {d.code: d for d in cov.districts}
    assert len(districts) == 8
    assert figures(districts["060"]) == expected({"V1", "V2"})  # huyện Pác Nặm
    assert figures(districts["062"]) == expected({"V3"})  # huyện Ngân Sơn
    assert sum(d.reached for d in cov.districts) == 2
    pac_nam = coverage(backan, start=START, end=END, scheme="old", area_code="060")
    assert [d.code for d in pac_nam.districts] == ["060"]
    assert {c.parent_code for c in pac_nam.communes} == {"060"}
    assert {v.code for v in pac_nam.villages} == {dataset["V1"], dataset["V2"]}


def test_viewers_see_small_sensitive_counts_suppressed(backan: Session, dataset: dict[str, str]) -> None:
    cov = coverage(backan, start=START, end=END, area_code="01864", viewer=True)
    (commune,) = cov.communes
    assert commune.counts.categories == {"ho_ngheo": "<5", "kk_hiv": "<5"}
    assert commune.counts.participants == expected({"V1", "V2"})["participants"]  # not sensitive


def test_gps_points_far_from_their_village_are_flagged(backan: Session, dataset: dict[str, str]) -> None:
    (flag,) = gps_flags(backan, start=START, end=END)
    assert (flag.session_date, flag.village_code) == (date(2026, 3, 1), dataset["V3"])
    assert flag.reasons == ("far_from_village", "far_from_commune")
    assert flag.village_distance_m > 100_000


def test_geojson_of_villages_and_sessions(backan: Session, dataset: dict[str, str]) -> None:
    cov = coverage(backan, start=START, end=END, area_code="19")
    villages = villages_geojson(cov)
    v1 = next(f for f in villages["features"] if f["properties"]["code"] == dataset["V1"])
    assert v1["geometry"] == {"type": "Point", "coordinates": [105.67, 22.65]}  # lon, lat as GeoJSON wants
    assert (v1["properties"]["sessions"], v1["properties"]["commune"], v1["properties"]["reached"]) == (
        2,
        "01864",
        True,
    )
    sessions = sessions_geojson(cov)
    assert len(sessions["features"]) == 4
    assert {f["properties"]["date"] for f in sessions["features"]} == {"2026-01-10", "2026-02-15", "2026-03-01",
                                                                       "2026-03-05"}  # fmt: skip
    assert sessions_geojson(coverage(backan, start=START, end=END, area_code="19", viewer=True))["features"] == []


def send_session(
    session: Session, store: BlobStore, user: AppUser, day: str, village: str, instance: str, edits: str | None = None
) -> None:
    """A session at a village (of commune 01864 or 01957), or an edit of the session sent as edits."""
    values = {"session_date": day, "commune": village[:5], "village": village, "participants_total": "12"}
    xml = fill(built("tgpl_session").xform, values, instance_id=instance, deprecated_id=edits)
    receive(session=session, store=store, app_user=user, xml=xml, parts={})


def last_reached(backan: Session, dataset: dict[str, str], *, end: date = END) -> dict[str, date | None]:
    """The latest session up to end of V1-V3, their old communes and districts (old structure, whole province)."""
    cov = coverage(backan, start=date(end.year, 1, 1), end=end, scheme="old")
    rows = {r.code: r.last_session for r in cov.villages + cov.communes + cov.districts}
    keys = {**{key: dataset[key] for key in ("V1", "V2", "V3")}, **{c: c for c in ("01858", "01861", "01957")}}
    return {key: rows[code] for key, code in {**keys, "060": "060", "062": "062"}.items()}


def test_last_reached_follows_a_session_edited_to_another_place_and_an_earlier_date(
    backan: Session, store: BlobStore, dataset: dict[str, str]
) -> None:
    user, _ = create_app_user(session=backan, name="Phone 2")
    before = {"V1": date(2026, 3, 5), "V2": date(2026, 2, 15), "V3": date(2026, 3, 1),  # V1: merged V4's
              "01858": date(2026, 3, 5), "01861": date(2026, 2, 15), "01957": date(2026, 3, 1),
              "060": date(2026, 3, 5), "062": date(2026, 3, 1)}  # fmt: skip
    assert last_reached(backan, dataset) == before
    send_session(backan, store, user, "2026-06-01", dataset["V2"], "uuid:edited-1")
    assert last_reached(backan, dataset) == {**before, "V2": date(2026, 6, 1), "01861": date(2026, 6, 1),
                                             "060": date(2026, 6, 1)}  # fmt: skip
    send_session(backan, store, user, "2026-05-01", dataset["V3"], "uuid:edited-2", edits="uuid:edited-1")
    assert last_reached(backan, dataset) == {**before, "V3": date(2026, 5, 1), "01957": date(2026, 5, 1),
                                             "062": date(2026, 5, 1)}  # fmt: skip
    send_session(backan, store, user, "2025-12-24", dataset["V3"], "uuid:edited-3", edits="uuid:edited-2")
    assert last_reached(backan, dataset) == before  # V3's own session of 1 March is its latest again
    (v3,) = (v for v in coverage(backan, start=START, end=END, area_code="01957").villages if v.code == dataset["V3"])
    assert v3.counts.sessions == 1  # the edited session left the period: counted nowhere in it


def test_a_period_that_ends_in_the_past_shows_the_latest_session_up_to_its_end(
    backan: Session, dataset: dict[str, str]
) -> None:
    end = date(2025, 12, 31)
    assert last_reached(backan, dataset, end=end) == {"V1": None, "V2": None, "V3": date(2025, 11, 20), "01858": None,
                                                      "01861": None, "01957": date(2025, 11, 20), "060": None,
                                                      "062": date(2025, 11, 20)}  # fmt: skip
    cov = coverage(backan, start=date(2025, 7, 1), end=end, scheme="new", area_code="01957", stale_days=30)
    (v3,) = (v for v in cov.villages if v.code == dataset["V3"])
    assert (v3.last_session, v3.days_since, v3.counts.sessions) == (date(2025, 11, 20), 41, 1)
    assert [r.code for r in cov.stale("village")] == [dataset["V3"]]  # 41 days > 30
    january = coverage(backan, start=START, end=date(2026, 1, 31), scheme="new", area_code="19")
    villages = {v.code: v for v in january.villages}
    assert villages[dataset["V1"]].last_session == date(2026, 1, 10)  # not V4's 5 March: after this period
    assert villages[dataset["V2"]].last_session is None  # its first session is in February
    assert (villages[dataset["V3"]].last_session, villages[dataset["V3"]].counts.sessions) == (date(2025, 11, 20), 0)


def test_places_not_reached_in_the_period_show_their_latest_session_before_it(
    backan: Session, dataset: dict[str, str]
) -> None:
    """April to June 2026: no session anywhere. Each place's last session is from before the period; V1's is the
    5 March session of V4, merged into it, later than its own of 10 January."""
    old = coverage(backan, start=date(2026, 4, 1), end=END, scheme="old")
    new = coverage(backan, start=date(2026, 4, 1), end=END, scheme="new", area_code="19")
    assert old.totals.sessions == new.totals.sessions == 0
    rows = {r.code: r.last_session for r in old.villages + old.communes + old.districts}
    assert {key: rows[dataset[key]] for key in ("V1", "V2", "V3")} == {
        "V1": date(2026, 3, 5),
        "V2": date(2026, 2, 15),  # not August: after the period
        "V3": date(2026, 3, 1),
    }
    assert [rows[code] for code in ("01858", "01861", "01957", "060", "062")] == [
        date(2026, 3, 5), date(2026, 2, 15), date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 1)
    ]  # fmt: skip
    communes = {c.code: c for c in new.communes}
    assert (communes["01864"].last_session, communes["01957"].last_session) == (date(2026, 3, 5), date(2026, 3, 1))
    assert [v.last_session for v in new.villages] == [rows[v.code] for v in new.villages]


def test_both_structures_add_up_with_villages_of_unknown_old_commune(backan: Session, store: BlobStore,
                                                                     java: None) -> None:  # fmt: skip
    """Imported villages with an old commune, a phone's proposal ("not in the list") and a village never given one,
    all in 2025 commune 01933, which four old communes of two old districts went into: the old structure's totals
    equal the 2025 structure's, the records of unknown old commune in their own row."""
    for form_id in ("tgpl_session", "tgpl_person"):
        publish_xform(session=backan, store=store, xform=built(form_id).xform, media={})
    phone, _ = create_app_user(session=backan, name="Máy")
    imported = registry.add_village(session=backan, commune_code="01933", old_commune_code="01930",
                                    name="Thôn Pác Ngòi", status="confirmed")  # fmt: skip
    unassigned = registry.add_village(session=backan, commune_code="01933", name="Thôn Cốc Tộc", status="confirmed")
    sessions = [  # (village, participants)
        ({"village": imported.code}, 30),
        ({"village": unassigned.code}, 20),
        ({"village": "khac", "village_name": "Bản Mới", "village_point": "22.40 105.62 300 5"}, 10),  # a proposal
    ]
    for where, participants in sessions:
        values = {"session_date": "2026-03-01", "commune": "01933", "participants_total": str(participants), **where}
        receive(session=backan, store=store, app_user=phone, parts={}, xml=fill(built("tgpl_session").xform, values))
    for village in (imported.code, unassigned.code):
        person = {"intake_date": "2026-03-01", "commune": "01933", "village": village, "consent": "dong_y"}
        receive(session=backan, store=store, app_user=phone, parts={}, xml=fill(built("tgpl_person").xform, person))
    new = coverage(backan, start=START, end=END, scheme="new")
    old = coverage(backan, start=START, end=END, scheme="old")
    province = coverage(backan, start=START, end=END, scheme="old", area_code="06")
    assert (new.totals.sessions, new.totals.participants, new.totals.people) == (3, 60, 2)
    for other in (old, province):
        assert (other.totals.sessions, other.totals.participants, other.totals.people) == (3, 60, 2)
        assert other.unknown_old is not None
        counts = other.unknown_old.counts
        assert (counts.sessions, counts.participants, counts.people) == (2, 30, 1)  # the unassigned and the proposal
    ba_be = coverage(backan, start=START, end=END, scheme="old", area_code="061")
    assert (ba_be.totals.sessions, ba_be.totals.people) == (1, 1)  # only the imported village's records
    assert ba_be.unknown_old is not None
    assert ba_be.unknown_old.counts.sessions == 0
    assert coverage(backan, start=START, end=END, scheme="old", area_code="01930").unknown_old is None
    assert new.unknown_old is None


def test_giving_a_village_its_old_commune_moves_its_records(backan: Session, store: BlobStore, java: None) -> None:
    publish_xform(session=backan, store=store, xform=built("tgpl_session").xform, media={})
    phone, _ = create_app_user(session=backan, name="Máy")
    village = registry.add_village(session=backan, commune_code="01933", name="Thôn Nà Làng", status="confirmed")
    values = {"session_date": "2026-03-01", "commune": "01933", "village": village.code, "participants_total": "12"}
    receive(session=backan, store=store, app_user=phone, parts={}, xml=fill(built("tgpl_session").xform, values))
    chodon = coverage(backan, start=START, end=END, scheme="old", area_code="064")
    assert chodon.totals.sessions == 0
    with pytest.raises(Conflict):  # 01858 (Pác Nặm) did not go into 2025 commune 01933
        registry.assign_old_commune(session=backan, ref=village.code, old_commune_code="01858")
    registry.assign_old_commune(session=backan, ref=village.code, old_commune_code="02041")  # Bằng Phúc, Chợ Đồn
    chodon = coverage(backan, start=START, end=END, scheme="old", area_code="064")
    assert (chodon.totals.sessions, chodon.totals.participants) == (1, 12)
    old = coverage(backan, start=START, end=END, scheme="old")
    assert old.unknown_old is not None
    assert old.unknown_old.counts.sessions == 0


def _square(code: str, lon: float, lat: float) -> dict[str, object]:
    half = 0.02
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def test_a_village_point_gives_its_old_commune(backan: Session, store: BlobStore, java: None) -> None:
    """Old communes' boundaries decide the old commune of a village with a point: a phone's proposal, an imported
    village, and (when the boundaries come later) a village already registered, whose records then move."""
    publish_xform(session=backan, store=store, xform=built("tgpl_session").xform, media={})
    phone, _ = create_app_user(session=backan, name="Máy")
    # 2025 commune 01933 took old communes 01924, 01930, 01933 (Ba Bể) and 02041 (Chợ Đồn)
    before = registry.add_village(session=backan, commune_code="01933", name="Thôn Khuổi Tầu", lat=22.30, lon=105.70)
    assert before.old_commune_code is None  # no boundaries yet: listed for a coordinator
    record = {"session_date": "2026-03-01", "commune": "01933", "village": before.code, "participants_total": "7"}
    receive(session=backan, store=store, app_user=phone, parts={}, xml=fill(built("tgpl_session").xform, record))
    boundaries = [_square("01930", 105.62, 22.40), _square("02041", 105.70, 22.30), _square("01858", 105.62, 22.40)]
    report = load_boundaries(session=backan, scheme="old",
                             geojson=json.dumps({"type": "FeatureCollection", "features": boundaries}))  # fmt: skip
    assert report.villages_placed == [before.code]
    assert registry.get_village(backan, before.code).old_commune_code == "02041"
    chodon = coverage(backan, start=START, end=END, scheme="old", area_code="064")
    assert (chodon.totals.sessions, chodon.totals.participants) == (1, 7)  # its record moved with it
    imported = registry.add_village(session=backan, commune_code="01933", name="Thôn Pác Ngòi", lat=22.405, lon=105.61)
    assert imported.old_commune_code == "01930"  # 01858 also covers the point, but it did not go into 01933
    outside = registry.add_village(session=backan, commune_code="01933", name="Thôn Nà Mò", lat=22.0, lon=105.0)
    assert outside.old_commune_code is None  # in no boundary of 01933's old communes: a coordinator decides
    proposal = {"session_date": "2026-03-02", "commune": "01933", "village": "khac", "village_name": "Bản Mới",
                "village_point": "22.401 105.621 300 5", "participants_total": "9"}  # fmt: skip
    receive(session=backan, store=store, app_user=phone, parts={}, xml=fill(built("tgpl_session").xform, proposal))
    ba_be = coverage(backan, start=START, end=END, scheme="old", area_code="061")
    assert (ba_be.totals.sessions, ba_be.totals.participants) == (1, 9)
    old = coverage(backan, start=START, end=END, scheme="old")
    assert old.unknown_old is not None
    assert old.unknown_old.counts.sessions == 0


def test_a_commune_of_one_predecessor_gives_it_to_every_village(backan: Session) -> None:
    village = registry.add_village(session=backan, commune_code="01957", name="Thôn Bản Cuôn")  # Thượng Quan
    assert village.old_commune_code == "01957"
