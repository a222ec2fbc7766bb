"""Settings, read from the environment (prefix TGPL_) only when a Settings object is built."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MAX_SUBMISSION_BYTES = 100_000_000


class Settings(BaseSettings):
    """Everything an administrator can set; built once per process by the CLI or create_app."""

    model_config = SettingsConfigDict(env_prefix="TGPL_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file, blobs and QR codes live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    public_url: str | None = Field(default=None, description="Base URL phones use, e.g. https://tgpl.example.vn.")
    max_submission_bytes: int = Field(default=DEFAULT_MAX_SUBMISSION_BYTES, gt=0)
    gazetteer_provinces: str = Field(
        default="06", description="Pre-2025 province codes to load, comma-separated (06 = Bắc Kạn); * = all."
    )
    village_match_meters: float = Field(default=1000.0, gt=0, description="Proposals this close may be duplicates.")
    host: str = "0.0.0.0"  # noqa: S104 - phones on the LAN must reach the server
    port: int = Field(default=8000, gt=0, lt=65536)

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL to connect to, with the psycopg 3 driver for PostgreSQL."""
        url = self.database_url or f"sqlite:///{(self.data_dir / 'tgpl.sqlite3').resolve()}"
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def provinces(self) -> list[str] | None:
        """The configured gazetteer scope: province codes, or None for the whole country."""
        codes = [c.strip() for c in self.gazetteer_provinces.split(",") if c.strip()]
        return None if "*" in codes else codes

    @property
    def blob_dir(self) -> Path:
        """Content-addressed store of submission XML, attachments and form media."""
        return self.data_dir / "blobs"

    @property
    def collect_dir(self) -> Path:
        """Where QR codes and phone URLs for app users are written."""
        return self.data_dir / "collect"

    def external_base(self, request_base: str) -> str:
        """The base URL phones see: PUBLIC_URL when set, else the one the request came in on."""
        return (self.public_url or request_base).rstrip("/")
