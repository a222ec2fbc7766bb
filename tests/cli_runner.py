"""Running the tgpl command as an administrator would, in a shell with TGPL_* variables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TGPL = str(Path(sys.executable).with_name("tgpl"))


def tgpl(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the tgpl command; by default it must succeed."""
    run = subprocess.run([TGPL, *args], env=env, capture_output=True, text=True, timeout=180, check=False)
    if ok:
        assert run.returncode == 0, run.stderr
    return run


def tgpl_json(env: dict[str, str], *args: str) -> Any:
    """Run a command with --json and parse what it printed."""
    return json.loads(tgpl(env, *args, "--json").stdout)
