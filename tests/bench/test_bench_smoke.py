"""The benchmark harness runs end to end: relay, load generator, JSON output.

No timing is asserted (the machine is shared and noisy); only that probes
arrive, none are lost, and every output line is JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.server_proc import ServerProc


def test_loadgen_through_bare_relay() -> None:
    with ServerProc([sys.executable, "-m", "bench.relay_bare", "--port", "0"]) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.loadgen",
                f"--url=ws://127.0.0.1:{server.port}/",
                "--pairs=2",
                "--rate=100",
                "--duration=1",
                "--drain=2",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert server.sample().rss_bytes > 0
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines
    results = [json.loads(line) for line in lines]
    result = results[-1]
    assert result["mode"] == "rate"
    assert result["received"] > 0
    assert result["received"] == result["sent"]
    assert result["lost"] == 0
    assert result["errors"] == 0
