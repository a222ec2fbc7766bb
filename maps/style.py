"""How places look on a map: recency classes of communes and their colours, villages and session points."""

from __future__ import annotations

from server.places.coverage import PlaceRow

RECENT_DAYS = 90  # a commune last reached within this many days is "recent" unless the coverage sets stale_days

# recency class → fill colour, most recent first (ColorBrewer RdYlGn, readable on OpenStreetMap tiles)
RECENCY_COLOURS = {"reached": "#1a9850", "recent": "#a6d96a", "older": "#fdae61", "never": "#d73027"}
VILLAGE_REACHED = "#2166ac"
VILLAGE_NOT_REACHED = "#ffffff"
VILLAGE_BORDER = "#08306b"
SESSION_COLOUR = "#762a83"
OUTLINE = "#333333"


def recency(row: PlaceRow, recent_days: int) -> str:
    """The recency class of a place: reached in the period, within recent_days, older, or never."""
    if row.reached:
        return "reached"
    if row.days_since is None:
        return "never"
    return "recent" if row.days_since <= recent_days else "older"


# The page's own styles: the legend box, popup tables, and session clusters in the session colour (not the default
# green, which would read as "reached").
MAP_CSS = """
.tgpl-legend { background: #fff; padding: 6px 8px; border-radius: 4px; line-height: 18px;
    box-shadow: 0 1px 4px rgba(0,0,0,.4); font-size: 12px; color: #222; }
.tgpl-legend h4 { margin: 0 0 4px; font-size: 13px; }
.tgpl-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -3px;
    border: 1px solid #333; }
.tgpl-legend i.dot { border-radius: 50%; }
.tgpl-popup { font-size: 13px; }
.tgpl-popup th { text-align: left; font-weight: normal; padding-right: 8px; color: #555; }
.tgpl-popup td { white-space: nowrap; }
.marker-cluster-small, .marker-cluster-medium, .marker-cluster-large { background-color: rgba(118, 42, 131, 0.35); }
.marker-cluster-small div, .marker-cluster-medium div, .marker-cluster-large div {
    background-color: rgba(118, 42, 131, 0.85); color: #fff; font-weight: bold; }
"""
