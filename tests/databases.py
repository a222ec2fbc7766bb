"""Throwaway PostgreSQL schemas, so each test (or benchmark run) starts from an empty database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import text

from server.core.config import Settings
from server.core.db import make_engine


@contextmanager
def postgres_schema(base_url: str, prefix: str) -> Iterator[str]:
    """Create a fresh schema, yield base_url with its search_path set to it, then drop it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(Settings(database_url=base_url).resolved_database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
