"""/metrics of the real server after a small journey (issue 7): every
required family is there with its labels and has moved; names follow the
Prometheus conventions; the Grafana dashboard uses only names the server
exports, so it cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import Claim, CloseCase, OpenCase
from tests.support.server import running_server

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "chatserver.json"
Samples = dict[str, list[tuple[dict[str, str], float]]]
Types = dict[str, str]


async def _journey_and_scrape(tmp_path: Path) -> tuple[Samples, Types]:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, "200306062381"))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Förnya recept"))
        case = getattr(opened, "case")  # noqa: B009 - a CaseUpdate, checked by the next line
        assert case.state == "queued"
        anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await anna.start()
        async with httpx.AsyncClient() as http:
            waiting = (await http.get(f"{srv.base}/metrics")).text
            await anna.request(Claim(id=0, case=case.case))
            await anna.subscribe(case.room)
            await anna.send(case.room, "Hej, jag tittar på det nu.")
            await anna.request(CloseCase(id=0, case=case.case, outcome="advice"))
            with pytest.raises(ServerError):  # nothing left to claim: rejected, counted
                await anna.request(Claim(id=0))
            await srv.service.writer.write([])
            text = (await http.get(f"{srv.base}/metrics")).text
        await patient.close()
        await anna.close()
    samples: Samples = {}
    types: Types = {}
    for exposition in (waiting, text):
        for family in text_string_to_metric_families(exposition):
            types[family.name] = family.type
            for s in family.samples:
                key = s.name if exposition is text else f"waiting:{s.name}"
                samples.setdefault(key, []).append((dict(s.labels), float(s.value)))
    return samples, types


def _value(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for lab, v in samples.get(name, []) if labels.items() <= lab.items())


async def test_required_families_move(tmp_path: Path) -> None:
    samples, _ = await _journey_and_scrape(tmp_path)
    v = _value
    assert v(samples, "chatserver_connections_total", client="sdk") >= 2
    assert v(samples, "chatserver_open_connections", client="sdk") == 2
    assert v(samples, "chatserver_frames_received_total", type="send") >= 1
    assert v(samples, "chatserver_frames_received_total", type="claim") >= 2
    assert v(samples, "chatserver_messages_total", role="staff") >= 1
    # The case waited in vc_nurse (as U5, a direct entrance) before the claim.
    assert v(samples, "waiting:chatserver_queue_length", pool="vc_nurse") == 1
    lengths = {lab["urgency"] for lab, _ in samples["chatserver_queue_length"]}
    assert lengths == {f"U{u}" for u in range(1, 7)}  # zeros too, so panels have no gaps
    assert v(samples, "chatserver_queue_length", pool="vc_nurse") == 0
    deadlines = samples["waiting:chatserver_queue_earliest_deadline_timestamp_seconds"]
    assert [lab["pool"] for lab, _ in deadlines] == ["vc_nurse"]
    assert deadlines[0][1] > 1.7e9  # Unix seconds, not milliseconds
    assert "chatserver_queue_earliest_deadline_timestamp_seconds" not in samples
    waits = [(lab, x) for lab, x in samples["chatserver_first_reply_wait_seconds_count"]]
    assert [(lab["pool"], x) for lab, x in waits] == [("vc_nurse", 1.0)]
    urgency = waits[0][0]["urgency"]
    assert v(samples, "chatserver_first_reply_within_target_total", urgency=urgency) == 1
    assert v(samples, "chatserver_cases_closed_total", pool="vc_nurse", outcome="advice") == 1
    assert v(samples, "chatserver_case_transitions_total", action="assign") == 1
    assert v(samples, "chatserver_store_commit_seconds_count") >= 4
    assert v(samples, "chatserver_store_batch_operations_sum") >= 4
    assert v(samples, "chatserver_frames_rejected_total", code="not_found") == 1
    for name in (
        "chatserver_event_loop_lag_seconds_count",
        "chatserver_store_backlog_operations",
        "chatserver_send_queue_frames",
        "chatserver_sms_outbox_pending",
        "chatserver_store_failed",
    ):
        assert name in samples, name


async def test_names_follow_conventions(tmp_path: Path) -> None:
    _, types = await _journey_and_scrape(tmp_path)
    assert types
    for name, kind in types.items():
        if name.endswith("_created"):
            continue  # prometheus_client's creation timestamps, read by the parser as gauges
        assert re.fullmatch(r"chatserver_[a-z0-9_]+", name), name
        # The parser drops _total from a counter's family name; units are base units.
        assert not name.endswith("_total"), name
        assert not re.search(r"_(milliseconds|ms|minutes|hours|bytes_total)$", name), name
        if "seconds" in name or "lag" in name or "latency" in name:
            assert name.endswith("_seconds"), name
        assert kind in ("counter", "gauge", "histogram"), name
    counters = {n for n, k in types.items() if k == "counter"}
    assert {"chatserver_messages", "chatserver_cases_closed"} <= counters


_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def _series_names(types: Types) -> set[str]:
    """Every sample name the families declare, whether or not a labelled
    child exists yet (a counter by error code has no series before the first)."""
    return {n + suffix for n, kind in types.items() for suffix in _SUFFIXES.get(kind, ())}


def _promql(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for v in node.values() for e in _promql(v)]
    if isinstance(node, list):
        return [e for v in node for e in _promql(v)]
    return []


async def test_dashboard_uses_only_exported_names(tmp_path: Path) -> None:
    board = json.loads(DASHBOARD.read_text())
    assert any(i.get("pluginId") == "prometheus" for i in board["__inputs"])
    exprs = _promql(board["panels"])
    assert len(exprs) >= 20
    used = {n for e in exprs for n in re.findall(r"\bchatserver_[a-z0-9_]+", e)}
    _, types = await _journey_and_scrape(tmp_path)
    assert used - _series_names(types) == set()
    # Every metric family is on the board somewhere.
    families = {n for n in types if not n.endswith("_created")}
    on_board = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in used}
    assert families - on_board == set()


async def test_readme_documents_every_family(tmp_path: Path) -> None:
    readme = (DASHBOARD.parents[1] / "README.md").read_text()
    documented = set(re.findall(r"^\| `(chatserver_[a-z0-9_]+)` \| (\w+) \|", readme, re.M))
    _, types = await _journey_and_scrape(tmp_path)
    exported = {
        (n + ("_total" if k == "counter" else ""), k)
        for n, k in types.items()
        if not n.endswith("_created")
    }
    assert documented == exported


_RATE = re.compile(r"^(sum( by \([^)]*\))? \()?rate\(")


def test_dashboard_panels_are_scoped_and_keep_one_unit() -> None:
    """The instance variable filters every series (several servers may feed one
    Prometheus), and no panel mixes a rate with a duration on one axis."""
    board = json.loads(DASHBOARD.read_text())
    for panel in board["panels"]:
        for expr in _promql(panel):
            selectors = re.findall(r"\bchatserver_[a-z0-9_]+(\{[^}]*\})?", expr)
            assert selectors and all('instance=~"$instance"' in s for s in selectors), expr
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        for target in panel.get("targets", []):
            pure_rate = bool(_RATE.match(target["expr"])) and " / " not in target["expr"]
            assert pure_rate == (unit == "ops"), (panel["title"], target["expr"])


def test_a_tally_reads_as_a_prometheus_counter_with_exact_counts() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from chatserver.metrics import Tally

    registry = CollectorRegistry(auto_describe=True)
    tally = Tally("chatserver_things_total", "Things, by kind", "kind", registry=registry)
    empty = generate_latest(registry).decode()
    assert "# TYPE chatserver_things_total counter" in empty  # as Counter writes it
    for kind in ["send", "send", "claim", "send"]:
        tally.inc(kind)
    families = list(text_string_to_metric_families(generate_latest(registry).decode()))
    assert [(f.name, f.type) for f in families] == [("chatserver_things", "counter")]
    got = {s.labels["kind"]: s.value for s in families[0].samples}
    assert got == {"send": 3.0, "claim": 1.0}
    with pytest.raises(ValueError, match="Duplicated"):  # one name per registry, as Counter
        Tally("chatserver_things_total", "again", "kind", registry=registry)
