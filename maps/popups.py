"""Popup and tooltip HTML for places and session points (every value escaped: names come from the field)."""

from __future__ import annotations

from html import escape

from maps.labels import format_date, labels
from server.coverage import PlaceRow, SessionPoint


def place_popup(row: PlaceRow, lang: str) -> str:
    """A place's name and what happened there: sessions, last session, days since, participants, requests."""
    words = labels(lang)
    counts = row.counts
    days = words["none"] if row.days_since is None else str(row.days_since)
    participants = f"{counts.participants} ({words['women']}: {counts.women})"
    requests = f"{counts.requests_received} ({words['accepted']}: {counts.requests_accepted})"
    return _table(
        row.name,
        words[row.level] if row.level in words else row.level,
        [
            (words["sessions"], str(counts.sessions)),
            (words["last_session"], format_date(row.last_session, lang)),
            (words["days_since"], days),
            (words["participants"], participants),
            (words["requests"], requests),
        ],
    )


def place_tooltip(row: PlaceRow, lang: str) -> str:
    """A place's name, its sessions in the period and its last session, on one hover line."""
    words = labels(lang)
    return (
        f"<b>{escape(row.name)}</b> · {escape(words['sessions'])}: {row.counts.sessions}"
        f" · {escape(words['last_session'])}: {escape(format_date(row.last_session, lang))}"
    )


def session_popup(point: SessionPoint, lang: str) -> str:
    """A session's date, participants and record number."""
    words = labels(lang)
    participants = words["unknown"] if point.participants is None else str(point.participants)
    return _table(
        words["session"],
        "",
        [
            (words["date"], format_date(point.session_date, lang)),
            (words["participants"], participants),
            (words["record"], str(point.submission_id)),
        ],
    )


def session_tooltip(point: SessionPoint, lang: str) -> str:
    """A session's date on hover."""
    words = labels(lang)
    return f"{escape(words['session'])} · {escape(format_date(point.session_date, lang))}"


def _table(title: str, kind: str, rows: list[tuple[str, str]]) -> str:
    """A titled two-column table of labels and values."""
    body = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows)
    small = f" <small>{escape(kind)}</small>" if kind else ""
    return f'<div class="tgpl-popup"><strong>{escape(title)}</strong>{small}<table>{body}</table></div>'
