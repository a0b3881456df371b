from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chatserver.domain.guardians import (
    GUARDIAN_ERROR_CODES,
    ChildEntry,
    GuardianDataError,
    GuardianError,
    GuardianPolicy,
    GuardianRegistry,
    Guardianship,
)
from chatserver.domain.personnummer import PersonalNumber, luhn_check_digit

TODAY = date(2026, 3, 15)
POLICY = GuardianPolicy()


def pnr(yyyymmdd: str, birth_number: str = "238") -> str:
    """A Luhn-valid number in Skatteverket's test series (birth number 238/239)."""
    eleven = yyyymmdd + birth_number
    return eleven + str(luhn_check_digit(eleven[2:]))


PARENT = "198501012382"  # Skatteverket test number
OTHER_PARENT = pnr("19870612", "239")
SCHOOL_CHILD = pnr("20170101", "239")  # 9 years old on TODAY
BABY = pnr("20260101")  # 2 months
TEEN = pnr("20110101", "239")  # 15 years
HIDDEN_CHILD = pnr("20200505")


def registry(*, protected: tuple[str, ...] = ()) -> GuardianRegistry:
    return GuardianRegistry(
        [
            Guardianship(PARENT, SCHOOL_CHILD),
            Guardianship(PARENT, BABY),
            Guardianship(PARENT, TEEN),
            Guardianship(OTHER_PARENT, SCHOOL_CHILD),
            Guardianship(OTHER_PARENT, HIDDEN_CHILD, protected=True),
        ],
        protected,
    )


def denial(guardian: str, child: str, today: date = TODAY, **kw: int) -> str | None:
    try:
        registry().check(guardian, child, today=today, policy=GuardianPolicy(**kw))
    except GuardianError as error:
        assert error.code in GUARDIAN_ERROR_CODES
        return error.code
    return None


def test_children_of_lists_each_child_with_reason() -> None:
    entries = registry().children_of(PARENT, today=TODAY, policy=POLICY)
    assert entries == [
        ChildEntry(PersonalNumber(TEEN), False, "child_too_old"),
        ChildEntry(PersonalNumber(SCHOOL_CHILD), True, None),
        ChildEntry(PersonalNumber(BABY), False, "child_too_young"),
    ]
    assert registry().children_of(SCHOOL_CHILD, today=TODAY, policy=POLICY) == []


def test_check_codes() -> None:
    assert denial(PARENT, SCHOOL_CHILD) is None
    assert denial(OTHER_PARENT, SCHOOL_CHILD) is None
    assert denial(PARENT, HIDDEN_CHILD) == "not_guardian"
    assert denial(SCHOOL_CHILD, PARENT) == "not_guardian"
    assert denial(PARENT, BABY) == "child_too_young"
    assert denial(PARENT, TEEN) == "child_too_old"
    assert denial(OTHER_PARENT, HIDDEN_CHILD) == "protected_identity"


def test_protected_guardian_or_child() -> None:
    for person in (PARENT, SCHOOL_CHILD):
        reg = registry(protected=(person,))
        assert reg.is_protected(person)
        with pytest.raises(GuardianError) as info:
            reg.check(PARENT, SCHOOL_CHILD, today=TODAY, policy=POLICY)
        assert info.value.code == "protected_identity"
        assert person not in str(info.value)
    # Protection wins over the age rules.
    reg = registry(protected=(BABY,))
    [baby] = [
        e for e in reg.children_of(PARENT, today=TODAY, policy=POLICY) if e.child.digits == BABY
    ]
    assert baby.reason == "protected_identity"


def test_age_limits_on_the_birthday() -> None:
    # BABY born 2026-01-01: six months on 1 July 2026.
    assert denial(PARENT, BABY, today=date(2026, 6, 30)) == "child_too_young"
    assert denial(PARENT, BABY, today=date(2026, 7, 1)) is None
    # TEEN born 2011-01-01: 13 on 1 January 2024, the guardian's access ends then.
    assert denial(PARENT, TEEN, today=date(2023, 12, 31)) is None
    assert denial(PARENT, TEEN, today=date(2024, 1, 1)) == "child_too_old"


def test_configurable_limits() -> None:
    assert denial(PARENT, TEEN, max_age_years=18) is None
    assert denial(PARENT, TEEN, today=date(2029, 1, 1), max_age_years=18) == "child_too_old"
    assert denial(PARENT, BABY, min_age_months=0) is None
    with pytest.raises(ValueError, match="guardian policy"):
        GuardianPolicy(min_age_months=-1)
    with pytest.raises(ValueError, match="guardian policy"):
        GuardianPolicy(min_age_months=24, max_age_years=2)


def test_registry_validates_numbers() -> None:
    with pytest.raises(ValueError):
        GuardianRegistry([Guardianship(PARENT, "201701012394")])


# -- loading from JSON ----------------------------------------------------------


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "guardians.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_json(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "guardianships": [
                {"guardian": "19850101-2382", "child": "170101-2393"},
                {"guardian": PARENT, "child": BABY},
            ],
            "protected": [OTHER_PARENT],
        },
    )
    reg = GuardianRegistry.load_json(path, today=TODAY)
    children = reg.children_of(PARENT, today=TODAY, policy=POLICY)
    assert [entry.child.digits for entry in children] == [SCHOOL_CHILD, BABY]
    assert reg.is_protected(OTHER_PARENT)
    reg.check(PARENT, SCHOOL_CHILD, today=TODAY, policy=POLICY)


@pytest.mark.parametrize(
    ("data", "names"),
    [
        ([], "top"),
        ({"guardianships": {}}, "must be lists"),
        ({"guardians": []}, "unknown keys"),
        ({"guardianships": [["a", "b"]]}, r"guardianships\[0\]"),
        ({"guardianships": [{"guardian": PARENT, "child": 201701012393}]}, r"\[0\]\.child"),
        (
            {"guardianships": [{"guardian": PARENT, "child": SCHOOL_CHILD}, {"guardian": PARENT}]},
            r"guardianships\[1\]\.child",
        ),
        (
            {"guardianships": [{"guardian": "19850101-2383", "child": SCHOOL_CHILD}]},
            r"guardianships\[0\]\.guardian: .*pnr_checksum",
        ),
        (
            {"guardianships": [{"guardian": PARENT, "child": SCHOOL_CHILD, "protected": "yes"}]},
            r"\[0\]\.protected",
        ),
        ({"guardianships": [{"guardian": PARENT, "child": PARENT}]}, "own guardian"),
        ({"protected": [PARENT, "20300101-2382"]}, r"protected\[1\]: .*pnr_"),
    ],
)
def test_load_json_names_the_bad_entry(tmp_path: Path, data: object, names: str) -> None:
    with pytest.raises(GuardianDataError, match=names):
        GuardianRegistry.load_json(write(tmp_path, data), today=TODAY)


def test_load_json_not_json(tmp_path: Path) -> None:
    path = tmp_path / "guardians.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(GuardianDataError, match="not valid JSON"):
        GuardianRegistry.load_json(path, today=TODAY)
