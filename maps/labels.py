"""The words on a map, in Vietnamese (the default) and English."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

LANGUAGES = ("vi", "en")

_LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "district": "Huyện",
        "commune": "Xã/phường",
        "village": "Thôn/bản",
        "communes_layer": "Xã/phường",
        "other_layer": "Khác",
        "sessions_layer": "Buổi trợ giúp (điểm GPS)",
        "session": "Buổi trợ giúp",
        "date": "Ngày",
        "record": "Mã bản ghi",
        "sessions": "Số buổi trong kỳ",
        "last_session": "Buổi gần nhất",
        "days_since": "Số ngày kể từ buổi gần nhất",
        "participants": "Số người tham dự",
        "women": "nữ",
        "requests": "Yêu cầu trợ giúp pháp lý",
        "accepted": "đã thụ lý",
        "none": "chưa có",
        "unknown": "không rõ",
        "legend": "Lần trợ giúp gần nhất",
        "reached": "Có buổi trong kỳ",
        "recent": "Trong {days} ngày",
        "older": "Quá {days} ngày",
        "never": "Chưa có buổi nào",
        "village_reached": "Thôn/bản có buổi trong kỳ",
        "village_not_reached": "Thôn/bản chưa có buổi trong kỳ",
        "session_point": "Điểm GPS của buổi trợ giúp",
        "unknown_old": "Chưa xác định xã cũ: {sessions} buổi trợ giúp, {participants} người tham dự",
    },
    "en": {
        "district": "District",
        "commune": "Commune",
        "village": "Village",
        "communes_layer": "Communes",
        "other_layer": "Other",
        "sessions_layer": "Sessions (GPS points)",
        "session": "Session",
        "date": "Date",
        "record": "Record",
        "sessions": "Sessions in period",
        "last_session": "Last session",
        "days_since": "Days since last session",
        "participants": "Participants",
        "women": "women",
        "requests": "Legal aid requests",
        "accepted": "accepted",
        "none": "none",
        "unknown": "unknown",
        "legend": "Last legal aid session",
        "reached": "Reached in period",
        "recent": "Within {days} days",
        "older": "More than {days} days ago",
        "never": "Never",
        "village_reached": "Village reached in period",
        "village_not_reached": "Village not reached in period",
        "session_point": "Session GPS point",
        "unknown_old": "Old commune unknown: {sessions} sessions, {participants} participants",
    },
}


def labels(lang: str) -> dict[str, str]:
    """The UI strings of a language (vi or en)."""
    if lang not in _LABELS:
        raise ValueError(f"lang is one of {', '.join(LANGUAGES)}")
    return _LABELS[lang]


@lru_cache(maxsize=4096)  # a map writes the same few hundred dates on thousands of points
def format_date(day: date | None, lang: str) -> str:
    """A date as people read it: 31/03/2025 in Vietnamese, 2025-03-31 in English."""
    if day is None:
        return labels(lang)["none"]
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()
