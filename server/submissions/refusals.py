"""Why a submission POST is refused once its form is known: what the phone shows, Vietnamese first."""

from __future__ import annotations

from server.core.errors import Conflict, NotFound


def other_xml() -> Conflict:
    """The same instanceID with other XML: never stored (409.1, as ODK Central)."""
    return Conflict(
        "Máy chủ đã có một phiếu cùng mã (instanceID) nhưng nội dung khác. Phiếu này không được lưu; "
        "hãy báo điều phối viên.",
        "A submission already exists with this ID, but with different XML. Resubmissions to attach "
        "additional multimedia must resubmit an identical xml_submission_file.",
        code="409.1",
    )


def replaced() -> Conflict:
    """A resend of a version that an edit has replaced since."""
    return Conflict(
        "Phiếu này đã được sửa và gửi lại bằng một bản mới; bản cũ không nhận thêm.",
        "This submission has been edited since; its older version cannot be resubmitted.",
        code="409.9",
    )


def unknown_original(deprecated_id: str) -> NotFound:
    """An edit of a submission this server does not have."""
    return NotFound(
        "Không tìm thấy phiếu gốc mà phiếu sửa này thay thế.",
        f"The submission being edited ({deprecated_id[:300]}) does not exist.",
        code="404.5",
    )


def already_edited() -> Conflict:
    """An edit of a version that another edit has already replaced."""
    return Conflict(
        "Phiếu gốc đã được sửa bởi một bản khác; hãy tải bản mới nhất trước khi sửa.",
        "The submission being edited has already been replaced by another edit.",
        code="409.9",
    )
