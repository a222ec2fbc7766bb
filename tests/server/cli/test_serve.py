"""`tgpl serve --workers N`: several processes on one port share the database, the data directory and the session
key, and every one of them keeps tokens out of the logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.cli_runner import tgpl_json
from tests.collect_client import CollectClient
from tests.server.web.conftest import Browser
from tests.tgpl_server import free_port, tgpl_serve

pytestmark = pytest.mark.slow


def worker_processes(pid: int) -> int:
    """How many multiprocessing workers the process started (children running spawn_main)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        count += parent == pid and b"spawn_main" in command
    return count


def test_workers_share_the_session_key_and_mask_tokens(
    env: dict[str, str], tmp_path: Path, java: None, collect: Callable[[str], CollectClient]
) -> None:
    port = free_port()
    env = {**env, "TGPL_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    report = tgpl_json(env, "init")
    log = tmp_path / "serve.log"
    with tgpl_serve(env, port, log, "--workers", "2") as process:
        assert worker_processes(process.pid) == 2
        browser = Browser(f"http://127.0.0.1:{port}")
        assert browser.login("admin", report["admin"]["password"]).status_code == 303
        for _ in range(20):  # a new connection each time, taken by whichever worker accepts it first
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", cookies=browser.http.cookies) as fresh:
                assert fresh.get("/forms").status_code == 200  # every worker reads the cookie with the same key
        browser.http.close()
        phone = collect(report["app_user"]["url"])
        assert sorted(form.form_id for form in phone.form_list()) == ["tgpl_person", "tgpl_session"]
    text = log.read_text()
    assert "GET /key/…/formList?deviceID=" in text  # the access log is kept...
    assert report["app_user"]["token"] not in text  # ...without the token, in every worker
