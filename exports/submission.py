"""One submission as the exporter receives it, and the metadata cells Central writes around its fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

ROOT_META = (
    "KEY",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
)
REPEAT_META = ("PARENT_KEY", "KEY")


@dataclass(frozen=True, slots=True)
class ExportSubmission:
    """The current version of one submission with the facts its export row shows."""

    # The KEY and the root of every repeat KEY. Central writes the logical submission's instanceId here: the
    # instanceID of its first version, which stays the same across edits (the meta-instanceID column, read from
    # the XML, shows the current version's). The exporter writes whatever the caller passes.
    instance_id: str
    submission_date: datetime  # when the server received it; naive values are taken as UTC
    submitter_id: int | None
    submitter_name: str | None
    attachments_present: int
    attachments_expected: int
    status: str | None  # Central fills it only for encrypted rows ("not decrypted", ...)
    review_state: str | None
    device_id: str | None  # the ?deviceID= of the submission request, not the form's deviceid field
    edits: int
    form_version: str
    xml: bytes  # the current version's instance; empty when there is none to read (e.g. not decrypted)


def submission_date_cell(moment: datetime) -> str:
    """The SubmissionDate cell: ISO-8601 in UTC with milliseconds and Z, as JavaScript's toISOString writes it."""
    utc = moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
    if utc.year >= 1000:  # isoformat truncates to milliseconds too, and is quicker; it pads years below 1000
        return f"{utc.isoformat(timespec='milliseconds')}Z"
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def root_meta_cells(submission: ExportSubmission) -> list[str]:
    """The cells after the fields of a root row, in the order of ROOT_META."""
    return [
        submission.instance_id,
        "" if submission.submitter_id is None else str(submission.submitter_id),
        submission.submitter_name or "",
        str(submission.attachments_present),
        str(submission.attachments_expected),
        submission.status or "",
        submission.review_state or "",
        submission.device_id or "",
        str(submission.edits),
        submission.form_version,
    ]
