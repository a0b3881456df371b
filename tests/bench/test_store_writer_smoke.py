"""bench.store_writer runs end to end and every confirmed row is on disk."""

from __future__ import annotations

import json
import subprocess
import sys


def test_store_writer_smoke() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.store_writer", "--smoke", "--no-pin", "--busy", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    rows = [row for row in lines if row["bench"] == "store"]
    assert {row["variant"] for row in rows} == {"writer", "aiosqlite_batch", "per_row"}
    for row in rows:
        assert row["committed"] > 0
        assert row["failed"] == 0
        assert row["stored"] == row["committed"], row
    assert "| measure | writer |" in done.stdout
