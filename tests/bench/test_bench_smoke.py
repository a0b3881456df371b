"""The benchmark harness runs end to end: relay, load generator, JSON output.

No timing is asserted (the machine is shared and noisy); only that probes
arrive, none are lost, and every output line is JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_the_env_line_names_the_interpreter_and_how_libpython_is_linked() -> None:
    from bench.transport import interpreter

    here = interpreter()
    executable = str(here["executable"])
    assert Path(executable).exists()
    # Ask a child of the same interpreter what it maps: the record must agree.
    probe = "from pathlib import Path; print('libpython' in Path('/proc/self/maps').read_text())"
    mapped = subprocess.run(
        [executable, "-c", probe], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    assert here["libpython_shared"] is (mapped == "True")
    assert here["build"]
