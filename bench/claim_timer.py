"""Run the unchanged chatserver with a server-side timer on ``claim``.

    python -m bench.claim_timer OUT.jsonl -- <chatserver.cli arguments>

Before the server starts, the ``claim`` handler is wrapped: for every claim
it records, on CLOCK_MONOTONIC (``time.monotonic_ns``, the clock the bench
clients use), when the handler was entered, when its transaction was handed
to the store writer (``Service.commit``), and when the answer was put in the
connection's outbox (the commit's ``after``), i.e. the server-side latency
without reading the frame and writing the socket. Between those, the stages of
the group commit that carried it: when the writer took the batch
(``Writer._take_batch``), when its thread began and ended the transaction
(``Writer._apply``), and when publishing began on the loop
(``Service._published``). One JSON line per claim goes to OUT.jsonl as it is
answered. Nothing else is changed.
"""

from __future__ import annotations

import contextvars
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from chatserver.service import casework
from chatserver.service.core import Service
from chatserver.store.writer import Writer
from protocol.frames import Claim

_claim: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("claim", default=None)


# The latest batch's stages (one writer: the batch being published is the latest).
_batch = {"take": 0, "begin": 0, "end": 0, "publish": 0}


def _stage(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the time it was entered recorded as the batch's ``name``."""

    def staged(*args: Any) -> Any:
        _batch[name] = time.monotonic_ns()
        return fn(*args)

    return staged


def _install_stages() -> None:
    apply = Writer._apply

    def timed_apply(self: Writer, ops: Any) -> None:  # on the writer's thread
        _batch["begin"] = time.monotonic_ns()
        try:
            apply(self, ops)
        finally:
            _batch["end"] = time.monotonic_ns()

    Writer._take_batch = _stage("take", Writer._take_batch)  # type: ignore[method-assign]
    Writer._apply = timed_apply  # type: ignore[method-assign]
    Service._published = _stage("publish", Service._published)  # type: ignore[method-assign]


def install(out: str) -> None:
    sink = open(out, "w", encoding="utf-8")  # noqa: SIM115 - open for the process's life
    original_claim = casework.HANDLERS[Claim]
    original_commit = Service.commit
    _install_stages()

    async def timed_claim(svc: Service, s: Any, f: Any) -> None:
        stamps = [time.monotonic_ns(), 0, 0]
        token = _claim.set(stamps)
        try:
            pending = original_claim(svc, s, f)
            if pending is not None:
                await pending
        finally:
            _claim.reset(token)

    def commit(
        self: Service,
        events: Sequence[Any],
        after: Callable[[], None] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        stamps = _claim.get()
        if stamps is not None and after is not None and not stamps[1]:
            stamps[1] = time.monotonic_ns()
            answer = after

            def timed_after() -> None:
                answer()
                stamps[2] = time.monotonic_ns()
                # Written at once (the server may end without running atexit).
                row = {"in": stamps[0], "submit": stamps[1], **_batch, "out": stamps[2]}
                sink.write(json.dumps(row))
                sink.write("\n")
                sink.flush()

            after = timed_after
        return original_commit(self, events, after, *args, **kwargs)

    casework.HANDLERS[Claim] = timed_claim
    Service.commit = commit  # type: ignore[method-assign]


def main() -> None:
    args = sys.argv[1:]
    if len(args) < 2 or args[1] != "--":
        raise SystemExit("usage: python -m bench.claim_timer OUT.jsonl -- <chatserver.cli args>")
    install(args[0])
    from chatserver.cli import main as cli_main

    sys.exit(cli_main(args[2:]))


if __name__ == "__main__":
    main()
