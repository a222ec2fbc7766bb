"""A live server with web users of every role, and a browser-like client that signs in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session

from server.accounts.web_users import create_web_user
from tests.conftest import Live

PASSWORD = "mật-khẩu-đủ-dài-1"
USERS = {  # username: (role, area scheme, area code)
    "admin": ("admin", None, None),
    "coord": ("coordinator", None, None),
    "viewer": ("viewer", None, None),
    "ngan_son": ("coordinator", "old", "062"),  # huyện Ngân Sơn only
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """Cookies, CSRF tokens and sign-in, as a person's browser would do them."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=30)

    def csrf(self, path: str = "/login") -> str:
        """The CSRF token of a page's form."""
        match = CSRF.search(self.http.get(path).text)
        assert match, f"no form on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """Sign in through the form."""
        return self.http.post("/login", data={"username": username, "password": password, "csrf": self.csrf(),
                                              "next": "/"})  # fmt: skip

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.Response:
        """Post a form with the session's CSRF token."""
        token = self.csrf("/downloads") if csrf else ""
        return self.http.post(path, data={**(data or {}), "csrf": token})


@dataclass
class Web:
    """The live server, its users and a way to open browsers on it."""

    live: Live
    browsers: list[Browser]

    def browser(self, username: str | None = None) -> Browser:
        """A browser, signed in as username when given."""
        browser = Browser(self.live.base)
        self.browsers.append(browser)
        if username:
            assert browser.login(username).status_code == 303
        return browser


@pytest.fixture
def web(live: Live, backan: Session) -> Iterator[Web]:
    """The server with Bắc Kạn loaded and one web user per role."""
    for username, (role, scheme, code) in USERS.items():
        create_web_user(session=backan, username=username, password=PASSWORD, role=role, area_scheme=scheme,
                        area_code=code)  # fmt: skip
    result = Web(live, [])
    yield result
    for browser in result.browsers:
        browser.http.close()
