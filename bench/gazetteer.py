"""Gazetteer benchmark: load the whole country, load it again (idempotent), search, render the pickers.

Run from the repository root: .venv/bin/python bench/gazetteer.py [--database-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from server.core.config import Settings
from server.core.db import make_engine, migrate
from server.places.load import load_gazetteer
from server.places.media import communes_csv, villages_csv
from server.places.search import search

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.databases import postgres_schema  # noqa: E402

QUERIES = ("na ri", "bang thanh", "Nà Pài", "xa hoa muc", "thanh pho")


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by action, and its result."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(url: str) -> dict[str, Any]:
    """Run every step on the database at url and return the figures."""
    engine = make_engine(Settings(database_url=url).resolved_database_url)
    migrate(engine)
    figures: dict[str, Any] = {"backend": engine.url.get_backend_name()}
    with Session(engine) as session:
        quiet: Callable[[str], None] = lambda _line: None  # noqa: E731
        seconds, report = timed(lambda: load_gazetteer(session=session, provinces=None, progress=quiet))
        figures["first load (whole country) s"] = round(seconds, 2)
        figures["units inserted"] = report.inserted
        seconds, report = timed(lambda: load_gazetteer(session=session, provinces=None, progress=quiet))
        figures["second load s"] = round(seconds, 2)
        figures["units changed by second load"] = report.inserted + report.updated
        times = [timed(lambda q=q: search(session, q))[0] for q in QUERIES]
        figures["search ms (mean of 5)"] = round(1000 * sum(times) / len(times), 1)
        seconds, data = timed(lambda: communes_csv(session))
        figures["communes.csv ms"] = round(1000 * seconds, 1)
        figures["communes.csv rows"] = data.count(b"\n") - 1
        seconds, data = timed(lambda: villages_csv(session))
        figures["villages.csv ms"] = round(1000 * seconds, 1)
    figures["peak RSS MiB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    engine.dispose()
    return figures


def main() -> int:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL URL (a throwaway schema is used); default SQLite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.database_url:
        with postgres_schema(args.database_url, "tgpl_bench") as url:
            figures = measure(url)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = measure(f"sqlite:///{tmp}/bench.sqlite3")
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        width = max(map(len, figures))
        print("\n".join(f"{name:<{width}}  {value}" for name, value in figures.items()))
    return 0 if figures["units changed by second load"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
