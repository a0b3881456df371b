"""Run a benchmark server as a child process and watch what it costs.

A server announces itself with one JSON line on stdout, ``{"ready": true,
"port": N}``, once it accepts connections (``announce_ready`` prints it,
``ServerProc`` waits for it). Memory and CPU come from ``/proc`` (psutil is not
a dependency): ``VmRSS`` in ``/proc/PID/status`` and ``utime + stime`` in
``/proc/PID/stat``, so figures count the server alone, never the load
generator. The process is stopped by its own pid only: SIGTERM, then SIGKILL
if it has not exited within a timeout.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Self

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def announce_ready(port: int) -> None:
    """Print the ready line that ``ServerProc`` waits for."""
    print(json.dumps({"ready": True, "port": port}), flush=True)


def parse_ready(line: str) -> int | None:
    """The port of a ready line, or None when the line is anything else."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.get("ready") is not True:
        return None
    port = value.get("port")
    return port if isinstance(port, int) else None


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so ``with`` blocks stop the servers they started.

    Python's default SIGTERM handling ends the process at once, leaving its
    server subprocesses running; a benchmark's main() calls this first.
    """

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def raise_nofile_limit() -> int:
    """Raise this process's open-file soft limit to its hard limit.

    Thousands of idle connections need as many descriptors; the soft limit is
    often 1,024 while the hard limit allows far more. Returns the new limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def pin_to_cpus(pid: int, cpus: frozenset[int]) -> None:
    """Pin every thread of a process to ``cpus`` (a thread may have exited)."""
    try:
        tids = [int(name) for name in os.listdir(f"/proc/{pid}/task")]
    except FileNotFoundError:
        return
    for tid in tids:
        try:
            os.sched_setaffinity(tid, cpus)
        except (ProcessLookupError, OSError):
            continue


def read_rss_bytes(pid: int) -> int:
    """Resident set size of a process, from ``/proc/PID/status``."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                # "VmRSS:     12345 kB" -- proc(5) reports kibibytes.
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def read_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from ``/proc/PID/stat``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        text = stat.read()
    # The command name (field 2) is in parentheses and may hold spaces, so
    # split after its closing one; the rest starts at field 3 (state) and
    # utime, stime are fields 14 and 15 (proc(5)).
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def read_cpus_busy_seconds(cpus: Iterable[int]) -> float:
    """Time the given CPUs spent on anything but idling, from ``/proc/stat``.

    Counts user, nice, system, irq, softirq and steal (guest time is already
    inside user, proc(5)); minus a pinned server's own CPU time it tells how
    much else ran on the server's core: other tenants, interrupts.
    """
    wanted = {f"cpu{cpu}" for cpu in cpus}
    ticks = 0
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, _, rest = line.partition(" ")
            if name in wanted:
                values = [int(field) for field in rest.split()]
                user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
                ticks += user + nice + system + irq + softirq + steal
    return ticks / _CLOCK_TICKS


@dataclass(frozen=True, slots=True)
class Sample:
    """A server's memory and CPU at one moment."""

    at: float
    rss_bytes: int
    cpu_seconds: float


@dataclass(frozen=True, slots=True)
class Usage:
    """What a server spent between two samples."""

    wall_seconds: float
    cpu_seconds: float
    rss_delta_bytes: int

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall second (1.0 is one core fully busy)."""
        return self.cpu_seconds / self.wall_seconds if self.wall_seconds > 0 else 0.0


def usage_between(before: Sample, after: Sample) -> Usage:
    return Usage(
        wall_seconds=after.at - before.at,
        cpu_seconds=after.cpu_seconds - before.cpu_seconds,
        rss_delta_bytes=after.rss_bytes - before.rss_bytes,
    )


class ServerProc:
    """One server subprocess, from ready line to stop.

    ``argv`` is run as is (with ``env`` as its environment if given); it must
    print the ready line. Use as a context manager so the process is stopped
    even when a benchmark fails.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        ready_timeout: float = 15.0,
        stop_timeout: float = 5.0,
        cpus: frozenset[int] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.cpus = cpus
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._drain: threading.Thread | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("server not started")
        return self._proc.pid

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not ready")
        return self._port

    def start(self) -> int:
        """Start the server and wait for its ready line; returns its port."""
        if self._proc is not None:
            raise RuntimeError("server already started")
        proc = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=self.env
        )
        self._proc = proc
        if self.cpus is not None:
            pin_to_cpus(proc.pid, self.cpus)
        try:
            assert proc.stdout is not None
            self._port = self._wait_ready(proc, proc.stdout)
        except BaseException:
            self.stop()
            raise
        if self.cpus is not None:
            # Threads started during start-up inherit the first pin; pin again
            # for any that raced it.
            pin_to_cpus(proc.pid, self.cpus)
        # Keep reading stdout so a chatty server never blocks on a full pipe.
        self._drain = threading.Thread(target=_drain, args=(proc.stdout,), daemon=True)
        self._drain.start()
        return self._port

    def _wait_ready(self, proc: subprocess.Popen[bytes], stdout: IO[bytes]) -> int:
        deadline = time.monotonic() + self.ready_timeout
        buffer = b""
        fd = stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.argv!r}: no ready line in {self.ready_timeout} s")
                if not selector.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"{self.argv!r} exited before ready (status {proc.wait()})")
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    text = line.decode("utf-8", "replace")
                    port = parse_ready(text)
                    if port is not None:
                        return port
                    sys.stderr.write(text + "\n")

    def sample(self) -> Sample:
        """The server's RSS and CPU time now."""
        pid = self.pid
        return Sample(
            at=time.monotonic(),
            rss_bytes=read_rss_bytes(pid),
            cpu_seconds=read_cpu_seconds(pid),
        )

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``stop_timeout``; returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(self.stop_timeout)
        if self._drain is not None:
            self._drain.join(1.0)
        if proc.stdout is not None:
            proc.stdout.close()
        return proc.returncode

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _drain(stream: IO[bytes]) -> None:
    for line in stream:
        sys.stderr.write(line.decode("utf-8", "replace"))
