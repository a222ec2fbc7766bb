"""The village registry: villages proposed from the field or imported, confirmed, renamed, merged or retired."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from geopy.distance import geodesic
from sqlmodel import Session, col, select

from server.errors import Conflict, NotFound
from server.gazetteer.names import name_key, nfc, similarity
from server.models import Audit, Place, PlaceSuccessor, Village, utcnow

STATUSES = ("proposed", "confirmed", "merged", "retired")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
SIMILAR = 0.8  # name similarity from which two villages of a commune may be the same place


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An existing village that a proposal may duplicate."""

    village: Village
    similarity: float
    distance_m: float | None


def _commune(session: Session, scheme: str, code: str) -> Place | None:
    return session.exec(
        select(Place).where(Place.scheme == scheme, Place.level == "commune", Place.code == code)
    ).first()


def resolve_commune(session: Session, code: str) -> tuple[Place, str | None]:
    """The new-structure commune for a code of either structure, and the old commune code when one was given."""
    new = _commune(session, "new", code)
    if new is not None:
        return new, None
    if _commune(session, "old", code) is not None:
        link = session.exec(
            select(PlaceSuccessor).where(PlaceSuccessor.old_code == code, PlaceSuccessor.is_default == True)  # noqa: E712
        ).first()
        successor = _commune(session, "new", link.new_code) if link is not None else None
        if successor is not None:
            return successor, code
    raise NotFound(
        f"Không có xã/phường mã {code} trong danh mục đã nạp (chạy: tgpl gazetteer load).",
        f"No commune with code {code} in the loaded gazetteer (run: tgpl gazetteer load).",
    )


def get_village(session: Session, ref: str | int) -> Village:
    """A village by its id or its code."""
    text = str(ref).strip()
    query = select(Village).where(Village.id == int(text) if text.isdigit() else Village.code == text)
    village = session.exec(query).first()
    if village is None:
        raise NotFound(f"Không có thôn/bản {text}.", f"No village {text}.")
    return village


def _next_code(session: Session, commune_code: str) -> str:
    codes = session.exec(select(Village.code).where(Village.commune_code == commune_code)).all()
    numbers = [int(c.rsplit("-", 1)[1]) for c in codes if c.rsplit("-", 1)[-1].isdigit()]
    return f"{commune_code}-{max(numbers, default=0) + 1:03d}"


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
    actor: str = "cli",
    commit: bool = True,
) -> Village:
    """Add a village to a commune (either structure's code); proposals wait for a coordinator.

    With commit=False the caller's transaction holds it (a proposal made by a submission is stored with it).
    """
    if status not in ("proposed", "confirmed"):
        raise ValueError(f"a new village is proposed or confirmed, not {status}")
    clean = nfc(name)
    if not name_key(clean):
        raise ValueError("a village needs a name")
    if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):  # type: ignore[operator]
        raise ValueError("a point needs both a latitude (-90..90) and a longitude (-180..180)")
    if code is not None and not CODE_PATTERN.match(code):
        raise ValueError(f"a village code is 1-32 letters, digits, '-', '_' or '.', not {code!r}")
    commune, old_code = resolve_commune(session, commune_code)
    village = Village(
        code=code or _next_code(session, commune.code),
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
    session.flush()
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
    clean = nfc(name)
    if not name_key(clean):
        raise ValueError("a village needs a name")
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
    """Merge a village into another of the same commune; records of the merged one count for the survivor."""
    village, target = get_village(session, ref), get_village(session, into)
    if village.id == target.id:
        raise Conflict("Không thể gộp một thôn vào chính nó.", "A village cannot be merged into itself.")
    if target.status not in ("proposed", "confirmed"):
        raise Conflict(
            f"Không thể gộp vào thôn {target.name} (trạng thái {target.status}).",
            f"Cannot merge into a village whose status is {target.status}.",
        )
    if village.commune_code != target.commune_code:
        raise Conflict("Hai thôn thuộc hai xã khác nhau.", "The two villages belong to different communes.")
    if village.status == "merged":
        raise Conflict("Thôn này đã được gộp rồi.", "This village is already merged.")
    village.status, village.merged_into_id = "merged", target.id
    if target.old_commune_code is None and village.old_commune_code is not None:
        target.old_commune_code = village.old_commune_code
    if target.lat is None and village.lat is not None:
        target.lat, target.lon = village.lat, village.lon
    session.add(target)
    return _change(session, village, "merge", actor, into=target.code)


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
