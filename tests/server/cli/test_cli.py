"""The tgpl command line, run as an administrator would: real processes, real database, real server."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.accounts.collect_qr import decode_settings
from server.cli.setup import BUILTIN_FORMS
from tests.cli_runner import TGPL, tgpl, tgpl_json
from tests.collect_client import Attachment, CollectClient
from tests.instances import fill


@pytest.mark.slow
def test_init_is_idempotent_and_prints_admin_password_once(env: dict[str, str], java: None) -> None:
    first = tgpl_json(env, "init")
    assert first["forms"] == [
        {"form_id": form_id, "version": "2026112601", "changed": True, "warnings": []}
        for form_id in ("tgpl_person", "tgpl_session")
    ]
    assert len(first["admin"]["password"]) >= 16
    phone = first["app_user"]
    assert phone["url"].endswith("/key/" + phone["url"].rsplit("/", 1)[1])
    png = Path(phone["qr_png"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(png.stat().st_mode) == 0o600
    settings = decode_settings(phone["qr_payload"])
    assert settings["general"] == {
        "server_url": phone["url"],
        "form_update_mode": "match_exactly",
        "autosend": "wifi_and_cellular",
    }
    assert settings["project"]["name"] == "Trợ giúp pháp lý"

    second = tgpl_json(env, "init")
    assert second["forms"][0]["changed"] is False
    assert second["admin"]["password"] is None
    assert second["app_user"]["url"] == phone["url"]
    assert [u["id"] for u in tgpl_json(env, "app-users", "list")] == [phone["id"]]
    moved = tgpl_json({**env, "TGPL_PUBLIC_URL": "https://tgpl.example.vn/"}, "init")["app_user"]
    assert moved["url"] == "https://tgpl.example.vn/key/" + phone["token"]  # same phone, new address
    assert decode_settings(moved["qr_payload"])["general"]["server_url"] == moved["url"]
    text = tgpl(env, "init").stdout
    assert phone["url"] in text
    assert "admin /" not in text


@pytest.mark.slow
def test_forms_app_users_and_counts(env: dict[str, str], java: None, tmp_path: Path) -> None:
    tgpl(env, "init", "--json")
    needs_logo = tmp_path / "needs_logo.md"  # pyxform reads markdown XLSForms too
    needs_logo.write_text(
        "| survey |\n| | type | name | label | media::image |\n| | text | q | Q | logo.png |\n"
        "| settings |\n| | form_id | version |\n| | needs_logo | 1 |\n",
        encoding="utf-8",
    )
    refused = tgpl(env, "forms", "publish", str(needs_logo), "--json", ok=False)
    assert refused.returncode == 1
    assert "logo.png" in refused.stderr
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    published = tgpl_json(env, "forms", "publish", str(needs_logo), "--media", str(logo))
    assert (published["form_id"], published["changed"], published["media"]) == ("needs_logo", True, ["logo.png"])
    again = tgpl_json(env, "forms", "publish", str(BUILTIN_FORMS / "tgpl_session.xlsx"))
    assert (again["changed"], again["media"]) == (False, ["communes.csv", "villages.csv"])  # generated lists
    listed = {f["form_id"]: f for f in tgpl_json(env, "forms", "list")}
    assert listed["tgpl_session"]["state"] == "open"
    assert sorted(listed) == ["needs_logo", "tgpl_person", "tgpl_session"]
    book = tgpl_json(env, "forms", "codebook", "tgpl_person", "--out", str(tmp_path / "books"))
    markdown = Path(book["markdown"]).read_text(encoding="utf-8")
    assert "| /data/person/details/art7 | select_multiple |" in markdown
    assert "| kk_hiv | " in markdown
    assert Path(book["csv"]).read_text(encoding="utf-8-sig").startswith("path,type,label::Tiếng Việt (vi)")

    created = tgpl_json(env, "app-users", "create", "Hoàng Thị B", "--forms", "tgpl_session")
    assert {"id", "token", "url", "qr_png"} <= created.keys()
    assert len(created["token"]) == 64
    assert created["url"].endswith(created["token"])
    rows = {u["id"]: u for u in tgpl_json(env, "app-users", "list")}
    assert rows[created["id"]]["forms"] == ["tgpl_session"]
    assert "token" not in rows[created["id"]]
    assert Path(created["qr_png"]).is_file()
    assert tgpl_json(env, "app-users", "revoke", str(created["id"]))["revoked"] is True
    assert not Path(created["qr_png"]).exists()  # a revoked phone's QR code and token file are deleted
    assert not Path(created["qr_png"]).with_suffix(".token").exists()
    assert {u["id"]: u["revoked"] for u in tgpl_json(env, "app-users", "list")}[created["id"]] is True
    unknown_form = tgpl(env, "app-users", "create", "X", "--forms", "nope", ok=False)
    assert unknown_form.returncode == 1
    assert "nope" in unknown_form.stderr

    assert tgpl_json(env, "forms", "close", "needs_logo")["state"] == "closed"
    assert tgpl_json(env, "submissions", "count") == {"form_id": None, "count": 0}


def test_commands_refuse_an_unmigrated_database(env: dict[str, str]) -> None:
    for args in (("serve", "--port", "1"), ("forms", "list"), ("submissions", "count")):
        run = tgpl(env, *args, ok=False)
        assert run.returncode == 1
        assert "tgpl init" in run.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(env: dict[str, str], java: None) -> Iterator[tuple[dict[str, Any], dict[str, str], Callable[[], str]]]:
    """`tgpl init` then `tgpl serve` as separate processes, as `make run` does; stop() ends it, returning its log."""
    port = _free_port()
    env = {
        **env,
        "TGPL_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TGPL_HOST": "127.0.0.1",
        "TGPL_PORT": str(port),
    }
    report = tgpl_json(env, "init")
    server = subprocess.Popen([TGPL, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "tgpl serve did not start"
                time.sleep(0.1)
        output: list[str] = []

        def stop() -> str:
            if not output:
                server.terminate()
                output.append(server.communicate(timeout=15)[0].decode())
            return output[0]

        yield report, env, stop
    finally:
        if server.poll() is None:
            server.terminate()
            server.communicate(timeout=15)


@pytest.mark.slow
def test_phone_url_printed_by_init_works_against_tgpl_serve(
    served: tuple[dict[str, Any], dict[str, str], Callable[[], str]], collect: Callable[[str], CollectClient]
) -> None:
    report, env, stop = served
    client = collect(report["app_user"]["url"])
    forms = {form.form_id: form for form in client.form_list()}
    assert sorted(forms) == ["tgpl_person", "tgpl_session"]
    form = forms["tgpl_session"]
    xform = client.get(form.download_url).content
    assert form.hash == hashlib.md5(xform).hexdigest()
    manifest = client.manifest(form)
    assert [name for name, _, _ in manifest] == ["communes.csv", "villages.csv"]
    for _name, md5, url in manifest:
        assert hashlib.md5(client.get(url).content).hexdigest() == md5
    instance_id = f"uuid:{uuid.uuid4()}"
    photo = Attachment("1764140000000.jpg", b"\xff\xd8\xff" + os.urandom(50_000))
    values = {
        "session_type": "luu_dong",
        "session_date": "2026-11-20",
        "commune": "01864",
        "village": "khac",
        "village_name": "Thôn Nà Pài",
        "village_point": "22.65 105.67 400 5",
        "participants_total": "30",
        "attendance_photo": photo.name,
    }
    xml = fill(xform, values, instance_id=instance_id)
    assert [r.status_code for r in client.send(xml, [photo])] == [201]
    assert [r.status_code for r in client.send(xml, [photo])] == [201]
    assert tgpl_json(env, "submissions", "count", "tgpl_session")["count"] == 1  # while the server runs
    (proposal,) = tgpl_json(env, "villages", "list", "--status", "proposed")
    assert (proposal["name"], proposal["source"]) == ("Thôn Nà Pài", "field")
    (changed,) = client.send(fill(xform, {**values, "participants_total": "31"}, instance_id=instance_id), [photo])
    assert changed.status_code == 409
    assert tgpl_json(env, "app-users", "list")[0]["submissions"] == 1
    log = stop()
    assert '"POST /key/…/submission?deviceID=' in log  # the access log is kept...
    assert report["app_user"]["token"] not in log  # ...without the token
