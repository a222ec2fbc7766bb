"""A synthetic province for the coverage benchmark: Bắc Kạn's official units, V registry villages and N session facts.

The units come from the real gazetteer loader (as `tgpl init` loads them). Villages, submissions, their current
versions and their fact rows are bulk-inserted with SQLAlchemy Core (executemany in batches): no XML is parsed and
no submission goes through the server, so a million sessions load in about a minute.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, text
from sqlmodel import Session, select

from server.core.models import (
    AppUser,
    Form,
    FormVersion,
    PersonCategory,
    PersonFact,
    Place,
    PlaceSuccessor,
    SessionFact,
    Submission,
    SubmissionDef,
    Village,
)
from server.places.load import load_gazetteer
from server.places.names import name_key

PROVINCE = "06"  # Bắc Kạn, pre-2025 code
FIRST_DAY = date(2021, 1, 1)  # sessions are spread evenly over these days
LAST_DAY = date(2026, 6, 30)
SEED = 20260630
BATCH = 20_000
NO_VILLAGE_SHARE = 0.05  # sessions recorded at a commune only
NO_GPS_SHARE = 0.10
MERGED_EVERY = 97  # one village in 97 was merged into its commune's first village
PROPOSED_EVERY = 31  # one in 31 is still a proposal
CATEGORIES = ("ho_ngheo", "dan_toc_thieu_so", "kk_hiv", "nguoi_co_cong", "tre_em")
CREATED = datetime(2026, 7, 1, tzinfo=UTC)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Commune:
    """An old commune, its district, the 2025 commune that took it over, and its point."""

    old_code: str
    district: str
    new_code: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class VillageRow:
    """A village as inserted: where records made there count."""

    code: str
    commune: Commune
    lat: float
    lon: float
    status: str


@dataclass
class Truth:
    """What was inserted, for checking the coverage the benchmark times."""

    villages: int = 0
    sessions: int = 0
    people: int = 0
    sessions_by_day: dict[date, int] = field(default_factory=dict)

    def sessions_between(self, start: date, end: date) -> int:
        """Sessions inserted with an event date in [start, end]."""
        return sum(n for day, n in self.sessions_by_day.items() if start <= day <= end)


def load_province(engine: Engine) -> list[Commune]:
    """Load Bắc Kạn through the gazetteer loader and return its old communes with their 2025 successors."""
    with Session(engine) as session:
        load_gazetteer(session=session, provinces=[PROVINCE], progress=lambda _line: None)
        successors = {
            s.old_code: s.new_code for s in session.exec(select(PlaceSuccessor).where(PlaceSuccessor.is_default)).all()
        }
        places = session.exec(
            select(Place).where(Place.scheme == "old", Place.level == "commune", Place.province_code == PROVINCE)
        ).all()
        return [
            Commune(p.code, p.parent_code or "", successors[p.code], p.lat or 22.15, p.lon or 105.83)
            for p in sorted(places, key=lambda p: p.code)
        ]


def populate(
    engine: Engine, communes: Sequence[Commune], *, villages: int, sessions: int, people: int, progress: Progress
) -> Truth:
    """Insert the villages, then the session and person records; returns what was inserted."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible synthetic data, not secrets
    truth = Truth(villages=villages, sessions=sessions, people=people)
    with engine.begin() as connection:
        _base_rows(connection)
        registry = _villages(connection, communes, villages, rng)
    progress(f"{villages:,} villages inserted")
    days = (LAST_DAY - FIRST_DAY).days + 1
    session_days = [FIRST_DAY + timedelta(days=rng.randrange(days)) for _ in range(sessions)]
    for day in session_days:
        truth.sessions_by_day[day] = truth.sessions_by_day.get(day, 0) + 1
    _records(engine, 1, session_days, lambda i, day: _session_fact(i, day, registry, communes, rng), progress)
    person_days = [FIRST_DAY + timedelta(days=rng.randrange(days)) for _ in range(people)]
    _records(engine, 2, person_days, lambda i, day: _person_fact(i, day, registry, rng), progress, first=sessions + 1)
    settle(engine)
    return truth


def settle(engine: Engine) -> None:
    """On PostgreSQL: id sequences moved past the ids inserted here (so later inserts get fresh ids), and what
    autovacuum does some time after a bulk load: planner statistics and the visibility map that lets index-only
    scans skip the table (coverage reads a period from its covering index)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for model in (Form, FormVersion, AppUser, Village, Submission, SubmissionDef):
            name = _table(model).name
            sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"  # noqa: S608 - our table
            connection.execute(text(sql))
        for model in (SessionFact, PersonFact, PersonCategory, Village):
            connection.execute(text(f"VACUUM ANALYZE {_table(model).name}"))


def _base_rows(connection: Connection) -> None:
    """The two forms (one version each) and the app user every record names."""
    for form_id, xml_form_id in ((1, "tgpl_session"), (2, "tgpl_person")):
        connection.execute(insert(_table(Form)).values(id=form_id, xml_form_id=xml_form_id, state="open",
                                                       created_at=CREATED))  # fmt: skip
        xml = f"<bench id='{xml_form_id}'/>".encode()
        connection.execute(
            insert(_table(FormVersion)).values(
                id=form_id, form_id=form_id, version="bench", title=xml_form_id, xml=xml,
                md5=hashlib.md5(xml).hexdigest(), sha256=hashlib.sha256(xml).hexdigest(),  # noqa: S324
                binary_paths="[]", published_at=CREATED,
            )
        )  # fmt: skip
    connection.execute(insert(_table(AppUser)).values(id=1, name="Bench", token_hash="0" * 64, created_at=CREATED))


def _villages(connection: Connection, communes: Sequence[Commune], count: int, rng: random.Random) -> list[VillageRow]:
    """count villages dealt round the old communes, each near its commune's point; a few proposed or merged."""
    rows: list[dict[str, Any]] = []
    registry: list[VillageRow] = []
    first_of: dict[str, int] = {}
    numbers: dict[str, int] = {}
    for i in range(count):
        commune = communes[i % len(communes)]
        numbers[commune.new_code] = numbers.get(commune.new_code, 0) + 1
        code = f"{commune.new_code}-{numbers[commune.new_code]:03d}"
        lat, lon = commune.lat + rng.uniform(-0.04, 0.04), commune.lon + rng.uniform(-0.04, 0.04)
        village_id = i + 1
        merged_into = first_of.get(commune.old_code) if i % MERGED_EVERY == MERGED_EVERY - 1 else None
        status = "merged" if merged_into else "proposed" if i % PROPOSED_EVERY == PROPOSED_EVERY - 1 else "confirmed"
        first_of.setdefault(commune.old_code, village_id)
        name = f"Thôn Bản {i:05d}"
        rows.append({
            "id": village_id, "code": code, "name": name, "name_key": name_key(name),
            "commune_code": commune.new_code, "old_commune_code": commune.old_code, "lat": lat, "lon": lon,
            "status": status, "merged_into_id": merged_into, "source": "import", "source_ref": f"bench:{i}",
            "created_at": CREATED, "updated_at": CREATED,
        })  # fmt: skip
        registry.append(VillageRow(code, commune, lat, lon, status))
    for batch in _batches(rows):
        connection.execute(insert(_table(Village)), batch)
    return registry


def _records(
    engine: Engine,
    form_id: int,
    days: Sequence[date],
    fact: Callable[[int, date], tuple[dict[str, Any], list[str]]],
    progress: Progress,
    *,
    first: int = 1,
) -> None:
    """One submission, its current version and its fact row per day given, in batches of one transaction each."""
    fact_table = _table(SessionFact if form_id == 1 else PersonFact)
    for start in range(0, len(days), BATCH):
        submissions, versions, facts, categories = [], [], [], []
        for offset, day in enumerate(days[start : start + BATCH]):
            record_id = first + start + offset
            instance_id = f"uuid:00000000-0000-4000-8000-{record_id:012d}"
            created = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            submissions.append({
                "id": record_id, "form_id": form_id, "instance_id": instance_id, "app_user_id": 1,
                "device_id": "collect:bench", "review_state": None, "created_at": created,
            })  # fmt: skip
            versions.append({
                "id": record_id, "submission_id": record_id, "form_id": form_id, "form_version_id": form_id,
                "instance_id": instance_id, "deprecated_id": None, "instance_name": None, "xml_sha256": "0" * 64,
                "xml_size": 4096, "current": True, "app_user_id": 1, "device_id": "collect:bench",
                "user_agent": None, "created_at": created,
            })  # fmt: skip
            row, ticked = fact(record_id, day)
            facts.append(row)
            categories += [{"submission_id": record_id, "category": c} for c in ticked]
        with engine.begin() as connection:
            connection.execute(insert(_table(Submission)), submissions)
            connection.execute(insert(_table(SubmissionDef)), versions)
            connection.execute(insert(fact_table), facts)
            if categories:
                connection.execute(insert(_table(PersonCategory)), categories)
        done = min(start + BATCH, len(days))
        if done % (10 * BATCH) == 0 or done == len(days):
            progress(f"{done:,} / {len(days):,} {'session' if form_id == 1 else 'person'} records inserted")


def _session_fact(
    record_id: int, day: date, registry: Sequence[VillageRow], communes: Sequence[Commune], rng: random.Random
) -> tuple[dict[str, Any], list[str]]:
    """A session fact at a village (busy villages first: the distribution is skewed) or, rarely, at a commune."""
    if rng.random() < NO_VILLAGE_SHARE:
        commune, village_code = communes[rng.randrange(len(communes))], None
        lat, lon = commune.lat, commune.lon
    else:
        village = registry[int(len(registry) * rng.random() ** 2)]
        commune, village_code, lat, lon = village.commune, village.code, village.lat, village.lon
    has_gps = rng.random() >= NO_GPS_SHARE
    total = rng.randrange(10, 80)
    women = total // 2
    return {
        "submission_id": record_id, "submission_def_id": record_id, "app_user_id": 1, "session_date": day,
        "session_type": "tgpl_luu_dong", "evening": total % 5 == 0, "commune_code": commune.new_code,
        "old_commune_code": commune.old_code, "old_district_code": commune.district, "village_code": village_code,
        "lat": lat + rng.uniform(-0.005, 0.005) if has_gps else None,
        "lon": lon + rng.uniform(-0.005, 0.005) if has_gps else None, "accuracy_m": 5.0 if has_gps else None,
        "participants_total": total, "participants_women": women, "participants_ethnic": total * 4 // 5,
        "leaflets": total, "questions_total": total // 4, "requests_received": total % 4,
        "requests_accepted": total % 3 // 2, "referrals": 0,
    }, []  # fmt: skip


def _person_fact(
    record_id: int, day: date, registry: Sequence[VillageRow], rng: random.Random
) -> tuple[dict[str, Any], list[str]]:
    """A person helped at a village, with zero to two Article 7 categories."""
    village = registry[rng.randrange(len(registry))]
    ticked = rng.sample(CATEGORIES, rng.randrange(3))
    return {
        "submission_id": record_id, "submission_def_id": record_id, "app_user_id": 1, "intake_date": day,
        "consent": True, "sex": "nu" if record_id % 2 else "nam", "age_years": 18 + record_id % 60,
        "ethnicity": "tay", "hardship": None, "field_of_law": "dat_dai", "aid_form": "tu_van", "accepted": True,
        "provider_role": "tro_giup_vien", "commune_code": village.commune.new_code,
        "old_commune_code": village.commune.old_code, "old_district_code": village.commune.district,
        "village_code": village.code,
    }, ticked  # fmt: skip


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table
