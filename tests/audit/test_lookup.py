"""`chatserver audit extract --patient` and `audit user --user` as an operator
runs them: with the personnummer on a patient's request or a staff member's
username, not only internal ids; a key that names nobody is an error (exit 2),
never an empty listing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver.audit import AuditChain, AuditEntry
from chatserver.store import records
from tests.audit.schema import apply, fresh_db

T0 = 1_700_000_000_000
MIN = 60_000
PNR = "198501012382"  # Skatteverket test number (Tess Testsson)
OTHER_PNR = "200306062381"  # a valid test number with no account here
PATIENT_ID = "pf427ed43e558"
ANNA_ID = "s493591f69442"


def access(at: int, *, user_id: str = ANNA_ID, patient_id: str = PATIENT_ID) -> AuditEntry:
    return AuditEntry(
        at=at,
        user_id=user_id,
        role="nurse",
        unit="vc_nurse",
        patient_id=patient_id,
        action="read",
        object="case:c1",
        basis="assigned",
        allowed=True,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "chat.sqlite3"
    conn = fresh_db(p)
    users = [
        records.user_insert(id=PATIENT_ID, kind="patient", name="Tess", pnr=PNR, created=T0),
        records.user_insert(id=ANNA_ID, kind="staff", name="Anna", username="anna", created=T0),
        # An unlucky username: another user's id.
        records.user_insert(
            id="s0000000000b0", kind="staff", name="Bo", username=ANNA_ID, created=T0
        ),
    ]
    chain = AuditChain.load(conn)
    log = [
        chain.append(access(T0)),
        chain.append(access(T0 + MIN)),
        chain.append(access(T0 + 2 * MIN, patient_id="p-other")),
    ]
    apply(conn, [*users, *log])
    conn.close()
    return p


def audit(path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatserver.cli", "--db", str(path), "audit", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("patient", [PNR, "19850101-2382", "850101-2382", "8501012382", PATIENT_ID])
def test_extract_by_personnummer_in_any_form_or_by_id(path: Path, patient: str) -> None:
    done = audit(path, "extract", "--patient", patient, "--json")
    assert done.returncode == 0, done.stderr
    assert [e["at"] for e in json.loads(done.stdout)] == [T0, T0 + MIN]


def test_extract_names_the_internal_id_it_found(path: Path) -> None:
    done = audit(path, "extract", "--patient", "19850101-2382")
    assert done.returncode == 0, done.stderr
    assert f"patient 19850101-2382 ({PATIENT_ID}): 2 entries" in done.stdout


@pytest.mark.parametrize("patient", [OTHER_PNR, "pnobody", ANNA_ID])
def test_extract_of_no_such_patient_is_an_error(path: Path, patient: str) -> None:
    done = audit(path, "extract", "--patient", patient, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "no such patient" in done.stderr


def test_extract_of_a_mistyped_personnummer_says_so_without_echoing_it(path: Path) -> None:
    done = audit(path, "extract", "--patient", "19850101-2383")  # wrong check digit
    assert done.returncode == 2
    assert "not a valid personnummer" in done.stderr
    assert "2383" not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("user", ["anna", "s0000000000b0"])
def test_user_listing_by_username_or_id(path: Path, user: str) -> None:
    done = audit(path, "user", "--user", user, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    if user == "anna":
        assert [r["id"] for r in rows] == [1, 2, 3]
        assert {r["user_id"] for r in rows} == {ANNA_ID}
    else:
        assert rows == []  # Bo exists and did nothing: an empty listing is the answer


def test_user_listing_names_the_internal_id_it_found(path: Path) -> None:
    done = audit(path, "user", "--user", "anna")
    assert done.returncode == 0, done.stderr
    assert f"Actions of user anna ({ANNA_ID}): 3 rows" in done.stdout


def test_user_listing_of_no_such_user_is_an_error(path: Path) -> None:
    done = audit(path, "user", "--user", "nobody", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "no such user" in done.stderr


def test_an_id_wins_over_a_username_equal_to_it(path: Path) -> None:
    done = audit(path, "user", "--user", ANNA_ID, "--json")
    assert done.returncode == 0, done.stderr
    assert {r["user_id"] for r in json.loads(done.stdout)} == {ANNA_ID}
