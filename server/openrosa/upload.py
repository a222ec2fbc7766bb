"""Reading a submission's multipart body within a size bound, as ODK Collect sends it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request

from server.core.errors import BadRequest, TooLarge

# Collect counts only file bytes against X-OpenRosa-Accept-Content-Length; multipart headers and
# boundaries (about 200 bytes a part, at most 101 parts a POST) come on top of that.
MULTIPART_OVERHEAD = 64 * 1024
MAX_PARTS = 128  # Collect sends at most 101 files and the XML in one POST
EPILOGUE = 1024  # text allowed after the closing boundary (RFC 2046); Collect sends none

Message = MutableMapping[str, Any]


def too_large(limit: int) -> TooLarge:
    """The 413 a collaborator sees when a POST is over the limit."""
    megabytes = limit / 1_000_000
    return TooLarge(
        f"Phiếu gửi lên quá lớn (giới hạn {megabytes:g} MB). Hãy chụp ảnh nhỏ hơn hoặc báo điều phối viên.",
        f"The submission is larger than the server accepts ({megabytes:g} MB).",
    )


def _bounded(
    receive: Callable[[], Awaitable[Message]], limit: int, boundary: bytes
) -> Callable[[], Awaitable[Message]]:
    """receive, refusing a body over limit, and one that ends before its closing boundary.

    Starlette hands back the parts read so far when a body stops short, as if it were whole; raising inside the
    stream instead makes its parser close every part's temporary file and gives the phone a 400 (Collect sends the
    whole body again)."""
    seen = 0
    close = b"--" + boundary + b"--"
    tail = b""

    async def bounded_receive() -> Message:
        nonlocal seen, tail
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                raise too_large(limit)
            tail = (tail + body)[-(len(close) + EPILOGUE) :]
            if not message.get("more_body", False) and close not in tail:
                raise MultiPartException("the body ended before its closing boundary")
        return message

    return bounded_receive


async def read_submission_form(request: Request, limit: int) -> FormData:
    """Parse the multipart body, refusing with 413 as soon as it passes limit (plus multipart overhead), and with
    400 when it is cut short or names a part twice."""
    hard_limit = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > hard_limit:
        raise too_large(limit)
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        raise BadRequest(
            "Phiếu phải được gửi dạng multipart/form-data với phần xml_submission_file.",
            "Submissions must be multipart/form-data with an xml_submission_file part.",
            code="400.7",
        )
    boundary = options.get(b"boundary", b"")
    if not boundary:
        raise _unreadable("the Content-Type names no boundary")
    bounded = Request(request.scope, _bounded(request.receive, hard_limit, boundary))
    try:
        form = await bounded.form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    except (MultiPartException, HTTPException) as error:  # Starlette turns parser errors into HTTPException(400)
        raise _unreadable(error.message if isinstance(error, MultiPartException) else error.detail) from error
    except ClientDisconnect as error:
        raise BadRequest("Kết nối bị ngắt khi đang gửi phiếu.", "The client disconnected.") from error
    names = [name for name, _value in form.multi_items()]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        await form.close()
        raise BadRequest(
            f"Phiếu gửi lên có phần trùng tên ({', '.join(twice)[:200]}); máy chủ chưa lưu gì.",
            f"The body has more than one part named {', '.join(repr(n) for n in twice)[:300]}; nothing was stored.",
            code="400.39",
        )
    return form


def _unreadable(detail: str) -> BadRequest:
    return BadRequest(
        "Không đọc được dữ liệu multipart của phiếu; máy chủ chưa lưu gì.",
        f"The multipart body could not be parsed: {detail}",
        code="400.39",
    )


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
