"""The session key: made once per data directory, the same for every process that starts with it."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from server.core.config import Settings
from server.web.security import secret_key


def test_servers_starting_together_all_read_one_whole_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    with ThreadPoolExecutor(max_workers=16) as pool:
        keys = set(pool.map(lambda _: secret_key(settings), range(64)))
    assert len(keys) == 1
    (key,) = keys
    assert len(key) == 64  # 48 random bytes, URL-safe base64
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["secret_key"]  # no temporary files left
    assert stat.S_IMODE(os.stat(settings.data_dir / "secret_key").st_mode) == 0o600
    assert secret_key(settings) == key  # read again, not made again
