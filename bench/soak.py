"""Soak benchmark: does `tgpl serve` hold its memory under sustained load?

`tgpl init` sets up a data dir (SQLite, or PostgreSQL with --postgres URL), `tgpl serve` starts, and 8 phones send
--count session submissions over OpenRosa, as ODK Collect sends them (one keep-alive connection each; every tenth
with a 200 kB photo, every twentieth proposing a village "not in the list"). The server's resident memory (VmRSS of
the process) is read every --every submissions. Reported: RSS after the warm-up (the first --warm-up submissions),
at the end, the peak, and the end as a share of the warm-up; the target is an end within 20 % of the warm-up.

Run from the repository root:
    .venv/bin/python bench/soak.py [--count 50000] [--warm-up 5000] [--every 1000] [--postgres URL] [--json]
The last line printed is JSON. Exits 1 when a submission was refused or the end is more than 20 % above the warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from forms.build import build_xlsform  # noqa: E402
from server.cli.setup import BUILTIN_FORMS  # noqa: E402
from tests.collect_client import Attachment, CollectClient  # noqa: E402
from tests.databases import postgres_schema  # noqa: E402
from tests.instances import fill  # noqa: E402
from tests.tgpl_server import free_port  # noqa: E402

BIN = Path(sys.executable).parent
PHONES = 8
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(200_000)
LIMIT = 1.20  # the end may be at most 20 % above the warm-up
INSTANCE = "uuid:00000000-0000-4000-8000-000000000000"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--warm-up", type=int, default=5_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def rss_mb(pid: int) -> float:
    """Resident memory of a live process now, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) * 1024 / 1e6, 1)
    return 0.0


def templates() -> tuple[bytes, bytes]:
    """A session instance naming a listed village, and one proposing a village, with a placeholder instanceID."""
    xform = build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx").xform
    team = [{"member_name": "Hoàng Văn Minh", "member_role": "tro_giup_vien"},
            {"member_name": "Lý Thị Hoa", "member_role": "cong_tac_vien", "card_number": "CTV-01"}]  # fmt: skip
    values = {"session_date": "2026-11-20", "commune": "01864", "participants_total": "25",
              "gps": "22.65 105.67 300 5", "remarks": "Bà con hỏi về đất rừng",
              "attendance_photo": "p.jpg"}  # fmt: skip
    listed = fill(xform, values, repeats={"team": team}, instance_id=INSTANCE)
    proposing = {**values, "village": "khac", "village_name": "Bản Mới PLACEHOLDER",
                 "village_point": "22.66 105.68 300 5"}  # fmt: skip
    proposal = fill(xform, proposing, repeats={"team": team}, instance_id=INSTANCE)
    return listed, proposal


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    listed, proposal = templates()
    samples: list[tuple[int, float]] = []
    refused: list[str] = []
    sent = 0
    lock = threading.Lock()
    with ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tgpl-soak-")))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TGPL_DATA_DIR": str(data), "TGPL_HOST": "127.0.0.1", "TGPL_PORT": str(port),
               "TGPL_PUBLIC_URL": base}  # fmt: skip
        if args.postgres:
            env["TGPL_DATABASE_URL"] = stack.enter_context(postgres_schema(args.postgres, "tgpl_soak"))
        init = json.loads(subprocess.run([str(BIN / "tgpl"), "init", "--json"], env=env, capture_output=True,
                                         text=True, check=True).stdout)  # fmt: skip
        url = init["app_user"]["url"].rstrip("/")
        server = subprocess.Popen([str(BIN / "tgpl"), "serve"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)  # fmt: skip
        stack.callback(server.wait, 30)
        stack.callback(server.terminate)
        for _ in range(600):
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        started = time.perf_counter()

        def phone() -> None:
            nonlocal sent
            client = CollectClient(url)
            try:
                while True:
                    with lock:
                        if sent >= args.count:
                            return
                        sent += 1
                        number = sent
                    template = proposal if number % 20 == 0 else listed
                    xml = template.replace(INSTANCE.encode(), f"uuid:{uuid.uuid4()}".encode())
                    xml = xml.replace(b"PLACEHOLDER", str(number).encode())
                    photos = [Attachment("p.jpg", PHOTO)] if number % 10 == 0 else []
                    answer = client.post(xml, photos)
                    if answer.status_code != 201:
                        refused.append(f"{answer.status_code}: {answer.text[:200]}")
                    if number % args.every == 0:
                        samples.append((number, rss_mb(server.pid)))
                        print(f"{number:>7,} sent, server RSS {samples[-1][1]:.0f} MB", file=sys.stderr, flush=True)
            finally:
                client.http.close()

        threads = [threading.Thread(target=phone) for _ in range(PHONES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    samples.sort()
    warm = next((rss for number, rss in samples if number >= args.warm_up), samples[0][1])
    end = samples[-1][1]
    peak = max(rss for _, rss in samples)
    figures = {"count": args.count, "database": "postgres" if args.postgres else "sqlite", "wall_s": round(wall, 1),
               "rate_per_s": round(args.count / wall, 1), "warm_up_rss_mb": warm, "end_rss_mb": end,
               "peak_rss_mb": peak, "end_over_warm_up": round(end / warm, 3), "refused": len(refused),
               "samples": samples}  # fmt: skip
    ok = not refused and end <= warm * LIMIT
    if not args.json:
        print(f"{args.count:,} submissions in {wall:.0f} s ({args.count / wall:.0f}/s); server RSS after warm-up "
              f"{warm:.0f} MB, at the end {end:.0f} MB ({end / warm:.2f}x), peak {peak:.0f} MB")  # fmt: skip
        for reason in refused[:5]:
            print(f"REFUSED {reason}")
    print(json.dumps({**figures, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
