"""What a place's sessions and people add up to, and the disclosure control viewers see those counts through."""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPRESS_BELOW = 5  # sensitive counts 1-4 are shown as "<5" to viewers, larger ones rounded to a multiple of 5


@dataclass
class Counts:
    """What happened at a place in the period."""

    sessions: int = 0
    participants: int = 0
    women: int = 0
    ethnic: int | str = 0  # sensitive: protected for viewers
    requests_received: int = 0
    requests_accepted: int = 0
    people: int | str = 0  # person records (people helped); sensitive: protected for viewers
    categories: dict[str, int | str] = field(default_factory=dict)  # Article 7 category → people; sensitive


def suppress(value: int | str) -> int | str:
    """Disclosure control for a sensitive count shown to viewers: 1-4 become "<5"; larger counts are rounded to a
    multiple of 5, so that differences between overlapping figures (a commune minus its villages, two periods)
    cannot recover a small count; 0 stays 0."""
    if not isinstance(value, int) or value == 0:
        return value
    if value < SUPPRESS_BELOW:
        return "<5"
    return SUPPRESS_BELOW * round(value / SUPPRESS_BELOW)


def protect(counts: Counts) -> None:
    """Apply disclosure control to the sensitive counts of a place (people, ethnic minority, Article 7)."""
    counts.people = suppress(counts.people)
    counts.ethnic = suppress(counts.ethnic)
    counts.categories = {k: suppress(v) for k, v in counts.categories.items()}


def add_counts(total: Counts, counts: Counts) -> None:
    """Add raw (unprotected) counts into a total."""
    total.sessions += counts.sessions
    total.participants += counts.participants
    total.women += counts.women
    total.ethnic = int(total.ethnic) + int(counts.ethnic)
    total.requests_received += counts.requests_received
    total.requests_accepted += counts.requests_accepted
    total.people = int(total.people) + int(counts.people)
    for key, value in counts.categories.items():
        total.categories[key] = int(total.categories.get(key, 0)) + int(value)


def total_of(rows: list[Counts], *, viewer: bool) -> Counts:
    """Raw counts summed (before any protection), then protected for viewers."""
    total = Counts()
    for counts in rows:
        add_counts(total, counts)
    if viewer:
        protect(total)
    return total
