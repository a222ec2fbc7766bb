"""The village registry: villages proposed from the field or imported, confirmed, renamed, merged or retired."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from geopy.distance import geodesic
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.core.errors import Conflict, NotFound
from server.core.models import Audit, PersonFact, Place, PlaceSuccessor, SessionFact, Village, utcnow
from server.places.boundaries import covers
from server.places.names import name_key, nfc, similarity
from server.places.village_codes import check_code, next_code, note_code

STATUSES = ("proposed", "confirmed", "merged", "retired")
SIMILAR = 0.8  # name similarity from which two villages of a commune may be the same place


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An existing village that a proposal may duplicate."""

    village: Village
    similarity: float
    distance_m: float | None


def find_commune(session: Session, scheme: str, code: str) -> Place | None:
    """A loaded commune of a structure by its code."""
    return session.exec(
        select(Place).where(Place.scheme == scheme, Place.level == "commune", Place.code == code)
    ).first()


def resolve_commune(
    session: Session, code: str, old_commune_code: str | None = None, *, scheme: str | None = None
) -> tuple[Place, str | None]:
    """The 2025 commune for a code (a 2025 code, or a pre-2025 code that maps to one), and the pre-2025 commune.

    Most 2025 codes are also pre-2025 codes (the new commune kept one of its predecessors' codes), so without a
    scheme a code is read as a 2025 code first; the pre-2025 commune is then only known when old_commune_code says
    it. With scheme="old" the code is read as a pre-2025 commune only.
    """
    new = find_commune(session, "new", code) if scheme != "old" else None
    old = code if new is None and find_commune(session, "old", code) is not None else None
    if new is None and old is not None:
        link = session.exec(
            select(PlaceSuccessor).where(PlaceSuccessor.old_code == old, PlaceSuccessor.is_default == True)  # noqa: E712
        ).first()
        new = find_commune(session, "new", link.new_code) if link is not None else None
    if new is None:
        raise NotFound(
            f"Không có xã/phường mã {code} trong danh mục đã nạp (chạy: tgpl gazetteer load).",
            f"No commune with code {code} in the loaded gazetteer (run: tgpl gazetteer load).",
        )
    if old_commune_code and old_commune_code != old:
        link = session.exec(
            select(PlaceSuccessor).where(
                PlaceSuccessor.old_code == old_commune_code, PlaceSuccessor.new_code == new.code
            )
        ).first()
        if link is None or old is not None:
            raise NotFound(
                f"Xã cũ {old_commune_code} không thuộc xã {new.name}.",
                f"Pre-2025 commune {old_commune_code} is not part of {new.name} ({new.code}).",
            )
        old = old_commune_code
    return new, old


def get_village(session: Session, ref: str | int) -> Village:
    """A village by its id or its code."""
    text = str(ref).strip()
    query = select(Village).where(Village.id == int(text) if text.isdigit() else Village.code == text)
    village = session.exec(query).first()
    if village is None:
        raise NotFound(f"Không có thôn/bản {text}.", f"No village {text}.")
    return village


def _audit(session: Session, action: str, village: Village, actor: str, **details: object) -> None:
    session.add(
        Audit(
            action=f"village.{action}",
            actor=actor,
            subject=f"village:{village.code}",
            details=json.dumps({"name": village.name, **details}, ensure_ascii=False),
        )
    )


def add_village(
    *,
    session: Session,
    commune_code: str,
    name: str,
    lat: float | None = None,
    lon: float | None = None,
    status: str = "proposed",
    source: str = "cli",
    source_ref: str | None = None,
    code: str | None = None,
    old_commune_code: str | None = None,
    actor: str = "cli",
    commit: bool = True,
) -> Village:
    """Add a village to a commune; proposals wait for a coordinator.

    A generated code is the commune's next number (server.places.village_codes), at the same cost however many
    villages there are. With commit=False the caller's transaction holds the village (a proposal made by a submission
    is stored with it) and the commune's counter row until it ends: concurrent proposals wait for it, and never clash.
    """
    if status not in ("proposed", "confirmed"):
        raise ValueError(f"a new village is proposed or confirmed, not {status}")
    clean = nfc(name)
    if not name_key(clean) or len(clean) > 255:
        raise ValueError("a village needs a name of at most 255 characters")
    if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):  # type: ignore[operator]
        raise ValueError("a point needs both a latitude (-90..90) and a longitude (-180..180)")
    if code is not None:
        check_code(code)
        if session.exec(select(Village).where(Village.code == code)).first() is not None:
            raise ValueError(f"code {code} is already used")
    commune, old_code = resolve_commune(session, commune_code, old_commune_code)
    old_code = old_code or old_commune_at(session, commune.code, lat, lon)
    if code is not None:
        note_code(session, code)  # a hand-given 01864-012 is never generated later
    for attempt in range(3):
        village = Village(
            code=code or next_code(session, commune.code),
            name=clean,
            name_key=name_key(clean),
            commune_code=commune.code,
            old_commune_code=old_code,
            lat=lat,
            lon=lon,
            status=status,
            source=source,
            source_ref=source_ref,
        )
        session.add(village)
        try:
            session.flush()
        except IntegrityError:
            if not commit or code is not None or attempt == 2:
                raise
            # Written meanwhile by something that does not count (a direct INSERT): the retry steps over it.
            session.rollback()
            continue
        break
    _audit(session, "propose" if status == "proposed" else "add", village, actor, source=source, ref=source_ref)
    if commit:
        session.commit()
        session.refresh(village)
    return village


def suggest_duplicates(session: Session, village: Village, *, max_meters: float) -> list[Suggestion]:
    """Villages of the same commune with a close name and, when both have points, within max_meters."""
    others = session.exec(
        select(Village).where(
            Village.commune_code == village.commune_code,
            col(Village.status).in_(("proposed", "confirmed")),
            Village.id != village.id,
        )
    ).all()
    found = []
    for other in others:
        alike = similarity(village.name, other.name)
        if alike < SIMILAR:
            continue
        distance = None
        if None not in (village.lat, village.lon, other.lat, other.lon):
            distance = geodesic((village.lat, village.lon), (other.lat, other.lon)).meters
            if distance > max_meters:
                continue
        found.append(Suggestion(other, alike, distance))
    return sorted(found, key=lambda s: (-s.similarity, s.distance_m or 0.0))


def _change(session: Session, village: Village, action: str, actor: str, **details: object) -> Village:
    village.updated_at = utcnow()
    session.add(village)
    _audit(session, action, village, actor, **details)
    session.commit()
    session.refresh(village)
    return village


def confirm(*, session: Session, ref: str | int, actor: str = "cli") -> Village:
    """Accept a proposed (or retired) village: it enters the phones' picker at their next form refresh."""
    village = get_village(session, ref)
    if village.status == "merged":
        raise Conflict(f"Thôn {village.name} đã được gộp.", "A merged village cannot be confirmed.")
    village.status = "confirmed"
    return _change(session, village, "confirm", actor)


def rename(*, session: Session, ref: str | int, name: str, actor: str = "cli") -> Village:
    """Correct a village's name; its code, and so every record made against it, stays."""
    village = get_village(session, ref)
    if village.status == "merged":
        raise Conflict(
            "Thôn đã được gộp; hãy đổi tên thôn còn lại.", "A merged village cannot be renamed; rename its survivor."
        )
    clean = nfc(name)
    if not name_key(clean) or len(clean) > 255:
        raise ValueError("a village needs a name of at most 255 characters")
    old = village.name
    village.name, village.name_key = clean, name_key(clean)
    return _change(session, village, "rename", actor, old_name=old)


def retire(*, session: Session, ref: str | int, actor: str = "cli") -> Village:
    """Take a village out of the picker (it no longer exists, or was entered by mistake); its records stay."""
    village = get_village(session, ref)
    if village.status == "merged":
        raise Conflict("Thôn đã được gộp.", "A merged village cannot be retired.")
    village.status = "retired"
    return _change(session, village, "retire", actor)


def merge(*, session: Session, ref: str | int, into: str | int, actor: str = "cli") -> Village:
    """Merge a village into another of the same commune; records of the merged one count for the survivor, which
    is confirmed (a merge is a coordinator's word that the place exists)."""
    village, target = get_village(session, ref), get_village(session, into)
    if village.id == target.id:
        raise Conflict("Không thể gộp một thôn vào chính nó.", "A village cannot be merged into itself.")
    if village.commune_code != target.commune_code:
        raise Conflict("Hai thôn thuộc hai xã khác nhau.", "The two villages belong to different communes.")
    active = ("proposed", "confirmed")
    # Both rows locked in id order (no deadlock between A→B and B→A), then conditional updates: of two racing
    # merges only the first can succeed.
    session.exec(
        select(Village).where(col(Village.id).in_((village.id, target.id))).order_by(col(Village.id)).with_for_update()
    ).all()
    source_done = session.execute(
        update(Village)
        .where(col(Village.id) == village.id, col(Village.status).in_(active))
        .values(status="merged", merged_into_id=target.id, updated_at=utcnow())
    )
    target_done = session.execute(
        update(Village)
        .where(col(Village.id) == target.id, col(Village.status).in_(active))
        .values(
            status="confirmed",
            updated_at=utcnow(),
            old_commune_code=target.old_commune_code or village.old_commune_code,
            lat=target.lat if target.lat is not None else village.lat,
            lon=target.lon if target.lat is not None else village.lon,
        )
    )
    if source_done.rowcount != 1 or target_done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            "Chỉ gộp được giữa hai thôn đang đề xuất hoặc đã xác nhận.",
            "Only a proposed or confirmed village can be merged, into a proposed or confirmed one.",
        )
    _audit(session, "merge", village, actor, into=target.code)
    session.commit()
    session.refresh(village)
    return village


def _follow(village: Village, lookup: Callable[[int], Village | None]) -> Village:
    seen = {village.id}
    while village.status == "merged" and village.merged_into_id is not None:
        nxt = lookup(village.merged_into_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        village = nxt
    return village


def survivor(session: Session, village: Village) -> Village:
    """The village that now stands for this one (itself unless merged, following chains of merges)."""
    return _follow(village, lambda village_id: session.get(Village, village_id))


def survivor_codes(session: Session) -> dict[str, str]:
    """Every village code mapped to its survivor's code: how coverage counts records of merged villages."""
    by_id = {v.id: v for v in session.exec(select(Village)).all()}
    return {v.code: _follow(v, by_id.get).code for v in by_id.values()}


def old_communes_of(session: Session, commune_code: str) -> list[Place]:
    """The pre-2025 communes that went (wholly or partly) into a 2025 commune: a village's possible old communes."""
    query = (
        select(Place)
        .join(PlaceSuccessor, col(PlaceSuccessor.old_code) == col(Place.code))
        .where(Place.scheme == "old", Place.level == "commune", PlaceSuccessor.new_code == commune_code)
        .order_by(col(Place.code))
    )
    return list(session.exec(query).all())


def old_commune_at(session: Session, commune_code: str, lat: float | None, lon: float | None) -> str | None:
    """The pre-2025 commune a place of a 2025 commune lay in, when it can be known: the only commune that went into
    it, or the only one of those whose boundary covers the point. None leaves it for a coordinator to assign."""
    olds = old_communes_of(session, commune_code)
    if len(olds) == 1:
        return olds[0].code
    if lat is None or lon is None:
        return None
    covering = [p.code for p in olds if p.boundary and covers(p.boundary, lat, lon)]
    return covering[0] if len(covering) == 1 else None


def place_unassigned(session: Session, *, actor: str = "cli") -> list[str]:
    """Give their old commune to the villages that lack one and can now have it (after old boundaries are loaded);
    their records follow. Returns the codes of the villages placed."""
    waiting = session.exec(
        select(Village).where(col(Village.old_commune_code).is_(None), col(Village.status) != "merged")
    ).all()
    placed = []
    for village in waiting:
        old = old_commune_at(session, village.commune_code, village.lat, village.lon)
        if old is not None:
            assign_old_commune(session=session, ref=village.code, old_commune_code=old, actor=actor)
            placed.append(village.code)
    return placed


def assign_old_commune(*, session: Session, ref: str | int, old_commune_code: str, actor: str = "cli") -> Village:
    """Give a village its pre-2025 commune (one that went into its 2025 commune). The facts of every record made at
    the village follow at once, so its records move from the "old commune unknown" row to that commune and both
    structures keep adding up."""
    village = get_village(session, ref)
    old = next((p for p in old_communes_of(session, village.commune_code) if p.code == old_commune_code), None)
    if old is None:
        raise Conflict(
            f"Xã cũ {old_commune_code} không thuộc xã {village.commune_code} hiện nay.",
            f"Pre-2025 commune {old_commune_code} did not go into 2025 commune {village.commune_code}.",
        )
    before = village.old_commune_code
    village.old_commune_code = old.code
    for table in (SessionFact, PersonFact):
        session.exec(
            update(table)
            .where(col(table.village_code) == village.code)
            .values(old_commune_code=old.code, old_district_code=old.parent_code)
        )
    return _change(session, village, "assign_old_commune", actor, old_commune_code=old.code, before=before)


def list_villages(session: Session, *, commune_code: str | None = None, status: str | None = None) -> Sequence[Village]:
    """Villages, optionally of one commune (either structure's code) and one status, by commune then name."""
    query = select(Village)
    if commune_code:
        query = query.where((Village.commune_code == commune_code) | (Village.old_commune_code == commune_code))
    if status:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        query = query.where(Village.status == status)
    return session.exec(query.order_by(Village.commune_code, Village.name_key, Village.id)).all()  # type: ignore[arg-type]
