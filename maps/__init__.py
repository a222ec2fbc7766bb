"""Coverage maps: folium maps of communes, villages and sessions, with Leaflet served by tgpl itself."""

from maps.assets import asset_files, asset_urls
from maps.coverage_map import build_map, page_html
from maps.standalone import standalone_html

__all__ = ["asset_files", "asset_urls", "build_map", "page_html", "standalone_html"]
