"""Database tables. Every change here needs an Alembic migration (a test compares the two)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


class Form(SQLModel, table=True):
    """A form id (the XForm's root id), whether it accepts submissions and whether it holds sensitive data."""

    __tablename__ = "form"

    id: int | None = Field(default=None, primary_key=True)
    xml_form_id: str = Field(max_length=255, unique=True)
    state: str = Field(default="open", max_length=16)  # open | closed
    sensitive: bool = False  # people's records (Law 91/2025): viewers get aggregates only, never its rows
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class FormVersion(SQLModel, table=True):
    """One immutable published version of a form: the exact XForm bytes served to phones."""

    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="form.id", index=True)
    version: str = Field(max_length=255)
    title: str = Field(sa_type=Text)
    xml: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    md5: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    binary_paths: str = Field(default="[]", sa_type=Text)  # JSON list of instance paths of binary fields
    published_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class FormMedia(SQLModel, table=True):
    """A media file (image, CSV choice list...) that a form version references and phones download."""

    __tablename__ = "form_media"
    __table_args__ = (UniqueConstraint("form_version_id", "filename"),)

    id: int | None = Field(default=None, primary_key=True)
    form_version_id: int = Field(foreign_key="form_version.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    md5: str = Field(max_length=32)
    size: int
    dataset: str | None = Field(default=None, max_length=32)  # "communes"/"villages": generated from the gazetteer


class AppUser(SQLModel, table=True):
    """A collaborator's device: reaches OpenRosa through a secret token in its URL."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AppUserForm(SQLModel, table=True):
    """Limits an app user to some forms; an app user with no rows here may use every open form."""

    __tablename__ = "app_user_form"

    app_user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    form_id: int = Field(foreign_key="form.id", primary_key=True)


class WebUser(SQLModel, table=True):
    """A person who signs in to the coordinator pages (admin, coordinator, viewer)."""

    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=255, unique=True)
    password_hash: str = Field(sa_type=Text)  # argon2
    role: str = Field(max_length=16)
    area_scheme: str | None = Field(default=None, max_length=8)  # old | new, with area_code: the user's area
    area_code: str | None = Field(default=None, max_length=16)
    failed_logins: int = 0
    session_version: int = 0  # raised by signing out: every session cookie issued before stops working
    locked_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    api_token_hash: str | None = Field(default=None, max_length=64, unique=True)  # for scripts and dashboards
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class Submission(SQLModel, table=True):
    """One logical record sent from a phone; its versions (edits) are SubmissionDef rows."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        # an export pages through a form's submissions newest first: a range of this index, no sort (0008)
        Index("ix_submission_form_created", "form_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(foreign_key="form.id", index=True)
    instance_id: str = Field(max_length=255)  # the instanceID of the first version
    app_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    device_id: str | None = Field(default=None, max_length=255)
    review_state: str | None = Field(default=None, max_length=16)  # None=received, edited, hasIssues...
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)


class SubmissionDef(SQLModel, table=True):
    """One version of a submission: the exact XML as received; only one per submission is current."""

    __tablename__ = "submission_def"
    __table_args__ = (
        UniqueConstraint("form_id", "instance_id"),
        # At most one current version per submission, whatever races between edits.
        Index(
            "uq_submission_def_current",
            "submission_id",
            unique=True,
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    form_id: int = Field(foreign_key="form.id")
    form_version_id: int = Field(foreign_key="form_version.id", index=True)
    instance_id: str = Field(max_length=255)
    deprecated_id: str | None = Field(default=None, max_length=255)
    instance_name: str | None = Field(default=None, sa_type=Text)
    xml_sha256: str = Field(max_length=64)
    xml_size: int
    current: bool = Field(default=True, index=True)
    app_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    device_id: str | None = Field(default=None, max_length=255)
    user_agent: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SubmissionAttachment(SQLModel, table=True):
    """A file a submission version expects (named in a binary field); blob is empty until it arrives."""

    __tablename__ = "submission_attachment"
    __table_args__ = (UniqueConstraint("submission_def_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_def_id: int = Field(foreign_key="submission_def.id", index=True)
    name: str = Field(max_length=255)
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    content_type: str | None = Field(default=None, max_length=255)


class Audit(SQLModel, table=True):
    """Who did what to which record, when (submission.create, submission.update.version...)."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
    action: str = Field(max_length=64, index=True)
    actor: str | None = Field(default=None, max_length=255)  # "app_user:3", "web_user:1", "cli"
    subject: str | None = Field(default=None, max_length=255)  # "submission:12", "form:tgpl_session"
    details: str | None = Field(default=None, sa_type=Text)  # JSON


class Place(SQLModel, table=True):
    """An official administrative unit in one structure: 'old' (until 30 June 2025) or 'new' (from 1 July 2025)."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("scheme", "level", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(max_length=8)  # old | new
    level: str = Field(max_length=16)  # province | district | commune
    code: str = Field(max_length=16)  # official code (mã ĐVHC), zero-padded
    name: str = Field(max_length=255)  # NFC, with its type: "Xã Bằng Thành"
    short_name: str = Field(max_length=255)  # "Bằng Thành"
    unit_type: str = Field(max_length=32)  # Xã, Phường, Thị trấn, Huyện, Thành phố, Tỉnh...
    name_key: str = Field(max_length=255, index=True)  # names.name_key(name)
    parent_code: str | None = Field(default=None, max_length=16)  # district (old communes) or province
    province_code: str = Field(max_length=8, index=True)
    lat: float | None = None
    lon: float | None = None
    area_km2: float | None = None
    boundary: str | None = Field(default=None, sa_type=Text)  # GeoJSON geometry, when boundaries are loaded


class PlaceSuccessor(SQLModel, table=True):
    """The 2025 reorganisation: an old unit and a new commune that took over (all or part of) it."""

    __tablename__ = "place_successor"

    old_code: str = Field(max_length=16, primary_key=True)  # old commune, or old district without communes
    new_code: str = Field(max_length=16, primary_key=True, index=True)
    is_default: bool = True  # the successor when the old unit was split
    whole: bool = True  # the old unit went entirely into this new commune


class Village(SQLModel, table=True):
    """A village (thôn, bản, tổ dân phố) of a new-structure commune, from a provincial list or from the field."""

    __tablename__ = "village"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # stable, e.g. 01864-003: the choice name phones send
    name: str = Field(max_length=255)  # NFC, kept as written: "Thôn Nà Pài"
    name_key: str = Field(max_length=255, index=True)
    commune_code: str = Field(max_length=16, index=True)  # new structure
    old_commune_code: str | None = Field(default=None, max_length=16, index=True)
    lat: float | None = None
    lon: float | None = None
    status: str = Field(default="proposed", max_length=16, index=True)  # proposed | confirmed | merged | retired
    merged_into_id: int | None = Field(default=None, foreign_key="village.id")
    source: str = Field(max_length=32)  # import | field | cli
    source_ref: str | None = Field(default=None, max_length=255, index=True)  # file:line, submission instanceID...
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class VillageCounter(SQLModel, table=True):
    """The highest number taken by a village code of the shape prefix-number (01864-007): a commune's next code is
    one more, found without reading the commune's villages."""

    __tablename__ = "village_counter"

    prefix: str = Field(max_length=32, primary_key=True)  # a commune code, or what a code given by hand has there
    last: int = Field(sa_type=BigInteger)


# What coverage reads of a period's sessions, as the covering index orders them (date, then id: the map's order).
PERIOD_COLUMNS = (
    "session_date",
    "submission_id",
    "village_code",
    "commune_code",
    "old_commune_code",
    "old_district_code",
    "lat",
    "lon",
    "participants_total",
    "participants_women",
    "participants_ethnic",
    "requests_received",
    "requests_accepted",
)


class SessionFact(SQLModel, table=True):
    """What coverage counts from the current version of a session record (form tgpl_session)."""

    __tablename__ = "session_fact"
    __table_args__ = (
        # A place column then the date: each place's latest session up to a day is one seek ("last reached").
        *(
            Index(f"ix_session_fact_{name}_session_date", name, "session_date")
            for name in ("commune_code", "old_commune_code", "old_district_code", "village_code")
        ),
        # A period's sessions by date with every column coverage reads from them (places, point, counts): its sums
        # and its map points are read from this index alone, not from rows scattered over the table.
        Index("ix_session_fact_period", *PERIOD_COLUMNS),
    )

    submission_id: int = Field(foreign_key="submission.id", primary_key=True)
    submission_def_id: int = Field(foreign_key="submission_def.id")
    app_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    session_date: date | None = Field(default=None)  # the event date, not the upload date
    session_type: str | None = Field(default=None, max_length=32)
    evening: bool | None = None
    commune_code: str | None = Field(default=None, max_length=16)  # 2025 structure
    old_commune_code: str | None = Field(default=None, max_length=16)
    old_district_code: str | None = Field(default=None, max_length=16)
    village_code: str | None = Field(default=None, max_length=32)
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    participants_total: int | None = None
    participants_women: int | None = None
    participants_ethnic: int | None = None
    leaflets: int | None = None
    questions_total: int | None = None
    requests_received: int | None = None
    requests_accepted: int | None = None
    referrals: int | None = None


class PersonFact(SQLModel, table=True):
    """What reports count from the current version of a person record (form tgpl_person); no names."""

    __tablename__ = "person_fact"

    submission_id: int = Field(foreign_key="submission.id", primary_key=True)
    submission_def_id: int = Field(foreign_key="submission_def.id")
    app_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    intake_date: date | None = Field(default=None, index=True)
    consent: bool  # False: an anonymous tally only
    sex: str | None = Field(default=None, max_length=8)
    age_years: int | None = None
    ethnicity: str | None = Field(default=None, max_length=8)
    hardship: str | None = Field(default=None, max_length=32)
    field_of_law: str | None = Field(default=None, max_length=32)
    aid_form: str | None = Field(default=None, max_length=32)
    accepted: bool | None = None
    provider_role: str | None = Field(default=None, max_length=32)
    commune_code: str | None = Field(default=None, max_length=16, index=True)
    old_commune_code: str | None = Field(default=None, max_length=16, index=True)
    old_district_code: str | None = Field(default=None, max_length=16, index=True)
    village_code: str | None = Field(default=None, max_length=32, index=True)


class PersonCategory(SQLModel, table=True):
    """One Article 7 category ticked for a person (a person may be in several)."""

    __tablename__ = "person_category"

    submission_id: int = Field(foreign_key="person_fact.submission_id", primary_key=True)
    category: str = Field(max_length=32, primary_key=True, index=True)
