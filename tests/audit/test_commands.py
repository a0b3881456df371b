"""`chatserver audit ...` through chatserver.cli.main: output and exit codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chatserver import cli
from chatserver.audit import AuditChain, AuditEntry
from chatserver.reports.period import day_start_ms, zone
from tests.audit.schema import apply, fresh_db

DAY1 = day_start_ms(date(2024, 3, 4), zone("Europe/Stockholm"))
HOUR = 3_600_000


def entry(at: int, user_id: str = "u-anna", patient_id: str = "p-1", **kw: object) -> AuditEntry:
    fields: dict[str, object] = {
        "at": at,
        "user_id": user_id,
        "role": "nurse",
        "unit": "vc_nurse",
        "patient_id": patient_id,
        "action": "read",
        "object": "case:c1",
        "basis": "assigned",
        "allowed": True,
    }
    fields.update(kw)
    return AuditEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "chat.sqlite3"
    conn = fresh_db(p)
    chain = AuditChain.load(conn)
    apply(
        conn,
        [
            chain.append(entry(DAY1 + 9 * HOUR)),
            chain.append(entry(DAY1 + 10 * HOUR, action="message", object="room:c1")),
            chain.append(entry(DAY1 + 24 * HOUR + 9 * HOUR, patient_id="p-2", object="case:c2")),
            chain.append(entry(DAY1 + 48 * HOUR, user_id="u-lars", unit="physician")),
        ],
    )
    conn.close()
    return p


def run(*argv: str) -> int:
    return cli.main(list(argv))


def tamper(path: Path) -> None:
    conn = fresh_db(path)  # migrate() on an existing file changes nothing
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET patient_id = 'p-9' WHERE id = 2")
    conn.close()


def test_verify_ok_exits_0_and_prints_rows_and_head(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--db", str(path), "audit", "verify") == 0
    out = capsys.readouterr().out
    assert "4 rows, chain intact" in out
    assert "head 4:" in out


def test_verify_tampered_exits_1_and_names_the_row(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(path)
    assert run("audit", "verify", "--db", str(path)) == 1
    out = capsys.readouterr().out
    assert "TAMPERED at row 2" in out
    assert "1 rows verified before it" in out


def test_verify_json(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--db", str(path), "audit", "verify", "--json") == 0
    ok = json.loads(capsys.readouterr().out)
    assert (ok["ok"], ok["rows"], ok["first_bad"]) == (True, 4, None)
    tamper(path)
    assert run("--db", str(path), "audit", "verify", "--json") == 1
    bad = json.loads(capsys.readouterr().out)
    assert (bad["ok"], bad["rows"], bad["first_bad"]) == (False, 1, 2)


def test_verify_with_the_printed_anchor_catches_a_cut_tail(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--db", str(path), "audit", "verify", "--json") == 0
    anchor = json.loads(capsys.readouterr().out)["head"]
    assert run("--db", str(path), "audit", "verify", "--anchor", anchor) == 0
    conn = fresh_db(path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE id = 4")
    conn.close()
    capsys.readouterr()
    assert run("--db", str(path), "audit", "verify") == 0
    assert run("--db", str(path), "audit", "verify", "--anchor", anchor) == 1
    assert "cut off" in capsys.readouterr().out


@pytest.mark.parametrize("anchor", ["4", "x:00", "4:abcd", "0:" + "00" * 32])
def test_verify_refuses_a_malformed_anchor(path: Path, anchor: str) -> None:
    with pytest.raises(SystemExit) as exc:
        run("--db", str(path), "audit", "verify", "--anchor", anchor)
    assert exc.value.code == 2


def test_missing_database_or_audit_table_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.sqlite3"
    assert run("--db", str(missing), "audit", "verify") == 2
    assert not missing.exists()
    old = tmp_path / "old.sqlite3"
    fresh_db(old, upto=2).close()
    assert run("--db", str(old), "audit", "verify") == 2
    assert run("--db", str(old), "audit", "extract", "--patient", "p-1") == 2
    err = capsys.readouterr().err
    assert "no database" in err
    assert "no audit log" in err


def test_extract_lists_units_and_times(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--db", str(path), "audit", "extract", "--patient", "p-1") == 0
    out = capsys.readouterr().out
    assert "3 entries" in out
    assert "2024-03-04T09:00:00+01:00  vc_nurse" in out
    assert "2024-03-06T00:00:00+01:00  physician" in out
    assert "u-anna" not in out


def test_extract_json_with_days(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--db", str(path), "audit", "extract", "--patient", "p-1", "--json"]
    assert run(*argv, "--since", "2024-03-05") == 0
    assert [e["unit"] for e in json.loads(capsys.readouterr().out)] == ["physician"]
    assert run(*argv, "--since", "2024-03-05", "--until", "2024-03-05") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run(*argv, "--until", "2024-03-04") == 0
    got = json.loads(capsys.readouterr().out)
    assert [(e["unit"], e["action"]) for e in got] == [
        ("vc_nurse", "read"),
        ("vc_nurse", "message"),
    ]


def test_user_listing_by_days(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--db", str(path), "audit", "user", "--user", "u-anna"]
    assert run(*argv, "--since", "2024-03-05", "--until", "2024-03-05") == 0
    out = capsys.readouterr().out
    assert "1 rows" in out
    assert "#3 2024-03-05T09:00:00+01:00  nurse@vc_nurse  read case:c2  patient=p-2" in out
    assert run(*argv, "--json") == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [1, 2, 3]


def test_user_listing_refuses_since_after_until(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", str(path), "audit", "user", "--user", "u-anna"]
    assert run(*argv, "--since", "2024-03-06", "--until", "2024-03-05") == 2
    assert "after" in capsys.readouterr().err


def test_bad_date_is_a_usage_error(path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        run("--db", str(path), "audit", "user", "--user", "u", "--since", "4 March")
    assert exc.value.code == 2
