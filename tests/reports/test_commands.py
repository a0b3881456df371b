"""`chatserver report` through chatserver.cli.main: Markdown, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatserver import cli
from tests.audit.schema import fresh_db
from tests.reports.test_kpi import history


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "chat.sqlite3"
    conn = fresh_db(p)
    history().store(conn)
    conn.close()
    return p


def test_markdown_report(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--db", str(path), "report", "--since", "2024-03-04", "--until", "2024-03-05"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("# KPIs 2024-03-04 – 2024-03-05 (Europe/Stockholm)")
    assert "| **All** |  | 10 | 2 | 20.0 % | 1 | 3 | 3 | 3 | 4.00 |" in out
    assert "| U2 | 4 | 3 | 30.0 | 46.0 | 3 of 4 | 75.0 % |" in out


def test_json_report(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["report", "--db", str(path), "--since", "2024-03-04", "--until", "2024-03-04"]
    assert cli.main([*argv, "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["totals"]["cases"] == 7
    assert [d["entrance"] for d in j["days"]] == ["seek_care", "vc_secretary"]


def test_default_period_is_the_last_week(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(path), "report", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["period"]["tz"] == "Europe/Stockholm"
    assert j["period"]["since"] < j["period"]["as_of"] <= j["period"]["until"]


def test_errors_exit_2(tmp_path: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--db", str(tmp_path / "none.sqlite3"), "report"]) == 2
    assert not (tmp_path / "none.sqlite3").exists()
    assert cli.main(["--db", str(path), "report", "--tz", "Nowhere/Land"]) == 2
    argv = ["--db", str(path), "report", "--since", "2024-03-05", "--until", "2024-03-04"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "no database" in err and "unknown time zone" in err and "after" in err
