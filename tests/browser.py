"""Headless Chromium for tests: Debian's browser driven by Playwright, with every non-local request refused."""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.conftest import need

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARGS += ["--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    need(importlib.util.find_spec("playwright") is not None, "Playwright is not installed (pip install playwright)")
    need(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@dataclass
class Offline:
    """A page whose requests leave neither the disk nor 127.0.0.1."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def route(self, route: Route, request: Request) -> None:
        """Let local requests through, abort the rest and note them."""
        if request.url.startswith(("file:", "data:")) or urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(request.url)
            route.abort()

    def open(self, url: str) -> None:
        """Load a map page and wait until Leaflet has drawn its legend and clusters."""
        self.page.route("**/*", self.route)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("response", lambda response: self.statuses.update({response.url: response.status}))
        self.page.goto(url)
        self.page.wait_for_selector(".tgpl-legend")
        self.page.wait_for_selector(".marker-cluster")

    def fills(self) -> Counter[str]:
        """How many SVG circles and polygons of each fill colour are drawn."""
        script = "() => [...document.querySelectorAll('path.leaflet-interactive')].map(p => p.getAttribute('fill'))"
        return Counter(self.page.evaluate(script))

    def texts(self, selector: str) -> list[str]:
        """The visible texts of the elements matching a selector."""
        return [text.strip() for text in self.page.locator(selector).all_inner_texts()]

    def blocked_hosts(self) -> set[str]:
        """The hosts the page tried to reach and could not."""
        return {urlsplit(url).hostname or "" for url in self.blocked}


@pytest.fixture
def offline(browser: Browser) -> Iterator[Offline]:
    """A fresh offline page, 1024 by 768 pixels."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    yield Offline(context.new_page())
    context.close()
