"""What hostile cases run against: a live server with phones of every kind, and signed-in browsers."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from tests.collect_client import CollectClient
from tests.conftest import Phone
from tests.hostile.checks import State
from tests.server.web.conftest import Browser


@dataclass
class World:
    """The demo form and an allowed phone, plus a closed form, a phone limited to another form and a revoked one."""

    phone: Phone
    client: CollectClient
    limited_token: str
    revoked_token: str

    def url(self, token: str | None = None) -> str:
        """The OpenRosa base URL of a token (the allowed phone's by default)."""
        return self.phone.live.key_url(token) if token is not None else self.phone.url

    def state(self) -> State:
        """Rows and blob files now."""
        return State.of(self.phone.live.engine, self.phone.live.settings.blob_dir)

    def assert_alive(self) -> None:
        """The server still answers phones: HEAD /submission 204 and the form list."""
        assert self.client.head().status_code == 204
        assert {"demo", "other"} <= {f.form_id for f in self.client.form_list()}

    def raw_post(self, content_type: str, body: bytes, token: str | None = None) -> httpx.Response:
        """POST exactly these bytes to /submission with Collect's headers."""
        headers = {**self.client.headers(), "Content-Type": content_type}
        return self.client.http.post(f"{self.url(token)}/submission", content=body, headers=headers)


@dataclass
class Site:
    """The world's server seen by people: web users admin and coord (password PASSWORD), browsers."""

    world: World
    browsers: list[Browser]
    signed: dict[str, Browser] = field(default_factory=dict)

    @property
    def base(self) -> str:
        """The server's base URL."""
        return self.world.phone.live.base

    def browser(self, username: str | None = None) -> Browser:
        """A new browser, signed in as username when given."""
        browser = Browser(self.base)
        self.browsers.append(browser)
        if username:
            assert browser.login(username).status_code == 303
        return browser

    def signed_in(self, username: str) -> Browser:
        """The module's browser signed in as username (signed in once: argon2 is slow on purpose)."""
        if username not in self.signed:
            self.signed[username] = self.browser(username)
        return self.signed[username]
