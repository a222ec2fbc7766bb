"""Signing in: passwords, lockout, CSRF, sessions, redirects that stay on the site."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from server.core.models import Audit
from tests.server.web.conftest import PASSWORD, Web


def test_pages_send_strangers_to_the_sign_in_page(web: Web) -> None:
    browser = web.browser()
    response = browser.http.get("/villages")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/villages")
    assert "Đăng nhập" in browser.http.get("/login").text


def test_sign_in_and_out(web: Web) -> None:
    browser = web.browser()
    signed = browser.login("coord")
    assert (signed.status_code, signed.headers["location"]) == (303, "/")
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=lax" in signed.headers["set-cookie"].lower()
    assert "Tổng quan" in browser.http.get("/").text
    stolen = dict(browser.http.cookies)
    assert browser.post("/logout").status_code == 303
    assert browser.http.get("/").status_code == 303
    replay = web.browser()
    replay.http.cookies.update(stolen)
    assert replay.http.get("/submissions").status_code == 303  # a copy of the cookie no longer works


def test_wrong_passwords_lock_the_account(web: Web) -> None:
    browser = web.browser()
    for _ in range(4):
        refused = browser.login("coord", "sai")
        assert refused.status_code == 403
        assert "Sai tên đăng nhập hoặc mật khẩu" in refused.text
    locked = browser.login("coord", "sai")
    assert "tạm khóa" in locked.text
    assert browser.login("coord", PASSWORD).status_code == 403  # even the right password, for 15 minutes
    assert web.browser().login("nobody", "x").status_code == 403


def test_forms_without_the_sessions_csrf_token_are_refused(web: Web) -> None:
    browser = web.browser("admin")
    refused = browser.post("/forms/tgpl_session/close", csrf=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text or "hết hạn" in refused.text
    outsider = web.browser()
    assert outsider.http.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403


def test_redirects_after_sign_in_stay_on_the_site(web: Web) -> None:
    browser = web.browser()
    response = browser.http.post("/login", data={"username": "coord", "password": PASSWORD, "csrf": browser.csrf(),
                                                 "next": "https://evil.example/x"})  # fmt: skip
    assert response.headers["location"] == "/"
    for evil in ("///evil.example/p", "/\\evil.example", "//evil.example"):
        assert browser.http.get(f"/lang/vi?next={evil}").headers["location"] == "/"


def test_english_switch(web: Web) -> None:
    browser = web.browser("viewer")
    browser.http.get("/lang/en?next=/")
    assert "Dashboard" in browser.http.get("/").text


def test_parallel_guesses_cannot_pass_the_lockout(web: Web) -> None:
    browser = web.browser()
    token = browser.csrf()

    def guess(n: int) -> int:
        response = browser.http.post("/login", data={"username": "coord", "password": f"sai-{n}", "csrf": token})
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(guess, range(24))) == {403}
    assert browser.login("coord").status_code == 403  # locked, whatever the order the guesses arrived in
    with Session(web.live.engine) as session:
        failures = session.exec(select(Audit).where(Audit.action == "web_user.login_failed")).all()
        assert len(failures) >= 24


def test_pages_cannot_be_framed_and_run_only_their_own_scripts(web: Web) -> None:
    browser = web.browser("coord")
    pages = [browser.http.get(path) for path in ("/", "/", "/login", "/nowhere", "/map")]
    policies = [response.headers["content-security-policy"] for response in pages]
    nonces = [re.findall(r"'nonce-([\w-]{24})'", policy)[0] for policy in policies]
    assert len(set(nonces)) == len(nonces)  # a new nonce for every response
    dashboard, _, sign_in, missing, framed = (p.replace(n, "N") for p, n in zip(policies, nonces, strict=True))
    assert dashboard == (
        "default-src 'self'; script-src 'self' 'nonce-N'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    assert sign_in == missing == dashboard  # the sign-in page and error pages too
    assert framed == dashboard.replace("frame-ancestors 'none'", "frame-ancestors 'self'")  # the dashboard's map
    assert [response.headers["x-frame-options"] for response in pages] == ["DENY"] * 4 + ["SAMEORIGIN"]
    assert pages[4].text.count(f'<script nonce="{nonces[4]}">') == 1  # the map's own script
    assert pages[4].text.count("<script>") == 0  # and no other inline script
