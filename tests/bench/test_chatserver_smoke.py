"""The chatserver driver end to end: a real server on a fresh bench database.

No timing is asserted (the machine is shared and noisy); only that every
message sent arrives, none is lost, and the server acked every one of them
(each ack means the message was committed to SQLite).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.chatserver_setup import prepare
from bench.scrape import BATCH_OPERATIONS, scrape_histograms
from bench.server_proc import ServerProc


def test_loadgen_through_chatserver(tmp_path: Path) -> None:
    prepared = prepare(tmp_path, staff=2)
    with ServerProc(prepared.argv(), ready_timeout=30.0) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                f"--url=ws://127.0.0.1:{server.port}/ws",
                "--driver=chatserver",
                "--driver-opt=staff=2",
                "--pairs=3",
                "--rate=100",
                "--duration=1",
                "--drain=3",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        batches = scrape_histograms(f"http://127.0.0.1:{server.port}/metrics")
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["mode"] == "rate"
    assert result["sent"] > 0
    assert result["received"] == result["sent"]
    assert result["lost"] == 0
    assert result["errors"] == 0
    assert result["counters"]["acked"] == result["sent"]
    assert result["counters"]["refused"] == 0
    # Every message went through the store's group commit.
    assert batches[BATCH_OPERATIONS].total >= result["sent"]
