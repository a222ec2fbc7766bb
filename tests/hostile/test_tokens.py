"""Hostile credentials: malformed, revoked and other phones' tokens on every OpenRosa route, bad API bearers.

A phone route answers an OpenRosaResponse (403 for any token that is not a live app user's, or a form not given to
that phone); the JSON API answers JSON 401 with a Bearer challenge. Nothing is written either way."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.collect_client import instance_xml
from tests.hostile.checks import Case, json_message, openrosa_message, params
from tests.hostile.world import World

REFUSED = "Mã truy cập"  # the start of the message for an unknown token
REVOKED = "thu hồi"
NOT_GIVEN = "không được giao"


@dataclass(frozen=True)
class Request:
    """One HTTP request: a method, a path under the server or under /key/{token}, and its headers."""

    method: str
    url: str
    headers: dict[str, str]
    xml: bytes | None = None


def phone(path: str, token: str, method: str = "GET") -> Request:
    """A Collect request under a token's base URL (the token is sent exactly as given, percent-encoded)."""
    return Request(method, f"/key/{quote(token, safe='')}{path}", {}, instance_xml() if method == "POST" else None)


def api(headers: dict[str, str]) -> Request:
    """A JSON API request."""
    return Request("GET", "/api/coverage", headers)


CASES = [
    Case("short-token", lambda w: phone("/formList", "short"), 403, REFUSED),
    Case("wrong-64-chars", lambda w: phone("/formList", "x" * 64), 403, REFUSED),
    Case("one-char-off", lambda w: phone("/formList", w.phone.token[:-1] + "!"), 403, REFUSED),
    Case("token-prefix", lambda w: phone("/formList", w.phone.token[:32]), 403, REFUSED),
    Case("token-uppercased", lambda w: phone("/formList", w.phone.token.upper()), 403, REFUSED),
    Case("sql-ish-token", lambda w: phone("/formList", "' OR '1'='1' --"), 403, REFUSED),
    Case("nul-in-token", lambda w: phone("/formList", w.phone.token + "\x00"), 403, REFUSED),
    Case("unicode-token", lambda w: phone("/formList", "mã-truy-cập-" + "đ" * 60), 403, REFUSED),
    Case("huge-token", lambda w: phone("/formList", "t" * 4000), 403, REFUSED),
    Case("token-with-traversal", lambda w: phone("/formList", "../../api/coverage"), 404, "Không có trang này"),
    Case("unknown-token-posts", lambda w: phone("/submission", "y" * 64, "POST"), 403, REFUSED),
    Case("revoked-form-list", lambda w: phone("/formList", w.revoked_token), 403, REVOKED),
    Case("revoked-form-download", lambda w: phone("/forms/demo.xml", w.revoked_token), 403, REVOKED),
    Case("revoked-manifest", lambda w: phone("/forms/demo/manifest", w.revoked_token), 403, REVOKED),
    Case("revoked-media", lambda w: phone("/forms/demo/attachments/places.csv", w.revoked_token), 403, REVOKED),
    Case("revoked-head", lambda w: phone("/submission", w.revoked_token, "HEAD"), 403, ""),
    Case("revoked-post", lambda w: phone("/submission", w.revoked_token, "POST"), 403, REVOKED),
    Case("other-phones-form-download", lambda w: phone("/forms/demo.xml", w.limited_token), 403, NOT_GIVEN),
    Case("other-phones-manifest", lambda w: phone("/forms/demo/manifest", w.limited_token), 403, NOT_GIVEN),
    Case("other-phones-media", lambda w: phone("/forms/demo/attachments/places.csv", w.limited_token), 403, NOT_GIVEN),
    Case("other-phones-post", lambda w: phone("/submission", w.limited_token, "POST"), 403, NOT_GIVEN),
    Case("api-no-bearer", lambda w: api({}), 401, "API"),
    Case("api-malformed-bearer", lambda w: api({"Authorization": "Bearer ' OR 1=1 --"}), 401, "API"),
    Case("api-phone-token-as-bearer", lambda w: api({"Authorization": f"Bearer {w.phone.token}"}), 401, "API"),
    Case("api-basic-auth", lambda w: api({"Authorization": "Basic YWRtaW46YWRtaW4="}), 401, "API"),
    Case("api-empty-bearer", lambda w: api({"Authorization": "Bearer"}), 401, "API"),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_token(world: World, case: Case) -> None:
    request: Request = case.payload(world)
    before = world.state()
    http = world.client.http
    headers = {**world.client.headers(), **request.headers}
    url = f"{world.phone.live.base}{request.url}"
    if request.xml is not None:
        boundary = "hostile"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="a.xml"\r\n'
                f"Content-Type: text/xml\r\n\r\n"
            ).encode()
            + request.xml
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        response = http.post(url, content=body, headers=headers)
    else:
        response = http.request(request.method, url, headers=headers)
    assert response.status_code == case.status, response.text[:500]
    if request.url.startswith("/api/"):
        assert case.says in json_message(response)
        assert response.headers["www-authenticate"] == "Bearer"
    elif request.method == "HEAD":
        assert response.headers["x-openrosa-version"] == "1.0"  # HEAD has no body to carry a message
    else:
        assert case.says in openrosa_message(response)
    assert world.phone.token not in response.text
    world.assert_alive()
    world.state().assert_nothing_half_written(before, frozenset())
