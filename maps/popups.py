"""Popup and tooltip texts for places and session points (every value escaped: names come from the field).

Commune popups are written here as HTML; village and session popups are built in the browser (maps/points.py) from
the same labels and values, so that the page carries each village's figures once instead of a whole popup.
"""

from __future__ import annotations

from html import escape

from maps.labels import format_date, labels
from server.places.coverage import PlaceRow, SessionPoint

PLACE_FIELDS = ("sessions", "last_session", "days_since", "participants", "requests")
SESSION_FIELDS = ("date", "participants", "record")


def place_kind(row: PlaceRow, lang: str) -> str:
    """What a place is, in words: Xã/phường, Thôn/bản… (its level as is when there is no word for it)."""
    words = labels(lang)
    return words[row.level] if row.level in words else row.level


def place_values(row: PlaceRow, lang: str) -> list[str]:
    """A place's figures in the order of PLACE_FIELDS: sessions, last session, days since, participants, requests."""
    words = labels(lang)
    counts = row.counts
    return [
        str(counts.sessions),
        format_date(row.last_session, lang),
        words["none"] if row.days_since is None else str(row.days_since),
        f"{counts.participants} ({words['women']}: {counts.women})",
        f"{counts.requests_received} ({words['accepted']}: {counts.requests_accepted})",
    ]


def session_values(point: SessionPoint, lang: str) -> list[str]:
    """A session's figures in the order of SESSION_FIELDS: date, participants, record number."""
    words = labels(lang)
    participants = words["unknown"] if point.participants is None else str(point.participants)
    return [format_date(point.session_date, lang), participants, str(point.submission_id)]


def field_labels(fields: tuple[str, ...], lang: str) -> list[str]:
    """The labels of some fields, in their order."""
    words = labels(lang)
    return [words[field] for field in fields]


def place_popup(row: PlaceRow, lang: str) -> str:
    """A place's name and what happened there: sessions, last session, days since, participants, requests."""
    rows = list(zip(field_labels(PLACE_FIELDS, lang), place_values(row, lang), strict=True))
    return _table(row.name, place_kind(row, lang), rows)


def place_tooltip(row: PlaceRow, lang: str) -> str:
    """A place's name, its sessions in the period and its last session, on one hover line."""
    (sessions, last), values = field_labels(PLACE_FIELDS[:2], lang), place_values(row, lang)
    return f"<b>{escape(row.name)}</b> · {escape(sessions)}: {escape(values[0])} · {escape(last)}: {escape(values[1])}"


def _table(title: str, kind: str, rows: list[tuple[str, str]]) -> str:
    """A titled two-column table of labels and values (the same markup as tgplPoints builds in the browser)."""
    body = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows)
    small = f" <small>{escape(kind)}</small>" if kind else ""
    return f'<div class="tgpl-popup"><strong>{escape(title)}</strong>{small}<table>{body}</table></div>'
