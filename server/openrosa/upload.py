"""Reading a submission's multipart body within a size bound, as ODK Collect sends it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from server.errors import BadRequest, TooLarge

# Collect counts only file bytes against X-OpenRosa-Accept-Content-Length; multipart headers and
# boundaries (about 200 bytes a part, at most 101 parts a POST) come on top of that.
MULTIPART_OVERHEAD = 64 * 1024
MAX_PARTS = 128  # Collect sends at most 101 files and the XML in one POST

Message = MutableMapping[str, Any]


def too_large(limit: int) -> TooLarge:
    """The 413 a collaborator sees when a POST is over the limit."""
    megabytes = limit / 1_000_000
    return TooLarge(
        f"Phiếu gửi lên quá lớn (giới hạn {megabytes:g} MB). Hãy chụp ảnh nhỏ hơn hoặc báo điều phối viên.",
        f"The submission is larger than the server accepts ({megabytes:g} MB).",
    )


def _bounded(receive: Callable[[], Awaitable[Message]], limit: int) -> Callable[[], Awaitable[Message]]:
    seen = 0

    async def bounded_receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    return bounded_receive


async def read_submission_form(request: Request, limit: int) -> FormData:
    """Parse the multipart body, refusing with 413 as soon as it passes limit (plus multipart overhead)."""
    hard_limit = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > hard_limit:
        raise too_large(limit)
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest(
            "Phiếu phải được gửi dạng multipart/form-data với phần xml_submission_file.",
            "Submissions must be multipart/form-data with an xml_submission_file part.",
            code="400.7",
        )
    bounded = Request(request.scope, _bounded(request.receive, hard_limit))
    try:
        return await bounded.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    except (MultiPartException, HTTPException) as error:  # Starlette turns parser errors into HTTPException(400)
        detail = error.message if isinstance(error, MultiPartException) else error.detail
        raise BadRequest(
            "Không đọc được dữ liệu multipart của phiếu; máy chủ chưa lưu gì.",
            f"The multipart body could not be parsed: {detail}",
            code="400.39",
        ) from error
    except ClientDisconnect as error:
        raise BadRequest("Kết nối bị ngắt khi đang gửi phiếu.", "The client disconnected.") from error


async def submission_xml(form: FormData) -> bytes:
    """The bytes of the required xml_submission_file part."""
    part = form.get("xml_submission_file")
    if part is None:
        raise BadRequest(
            "Thiếu phần xml_submission_file: máy chủ không nhận được nội dung phiếu.",
            "Required multipart POST field xml_submission_file missing.",
            code="400.7",
        )
    if isinstance(part, UploadFile):
        return await part.read()
    return part.encode("utf-8")
