from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatserver.domain.personnummer import (
    PNR_ERROR_CODES,
    SKATTEVERKET_TEST_NUMBERS,
    PersonalNumber,
    PersonnummerError,
    is_test_number,
    luhn_check_digit,
    parse,
)

TODAY = date(2026, 3, 15)


def with_check_digit(eleven: str) -> str:
    """YYYYMMDDNNN plus its Luhn digit."""
    return eleven + str(luhn_check_digit(eleven[2:]))


def short_form(number: PersonalNumber, today: date) -> str:
    """The 10-digit form with the sign Skatteverket prescribes on ``today``."""
    sign = "+" if today.year - int(number.digits[:4]) >= 100 else "-"
    return f"{number.digits[2:8]}{sign}{number.digits[8:]}"


def error_code(text: str, today: date = TODAY) -> str:
    with pytest.raises(PersonnummerError) as info:
        parse(text, today=today)
    return info.value.code


# -- examples ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("640823-3234", "196408233234"),
        ("6408233234", "196408233234"),
        ("19640823-3234", "196408233234"),
        ("196408233234", "196408233234"),
        ("  640823-3234\n", "196408233234"),
        ("640823+3234", "186408233234"),
        ("198501012382", "198501012382"),
        ("170101-2393", "201701012393"),
        ("20170101-2393", "201701012393"),
    ],
)
def test_accepted_forms(text: str, digits: str) -> None:
    assert parse(text, today=TODAY).digits == digits


def test_example_from_domain_md() -> None:
    number = parse("640823-3234", today=TODAY)
    assert number.birth_date == date(1964, 8, 23)
    assert number.sex == "male"
    assert not number.is_coordination_number
    assert number.formatted() == "19640823-3234"
    assert number.masked() == "19640823-****"
    assert "3234" not in repr(number)


def test_test_numbers_female_and_male() -> None:
    assert parse("198501012382", today=TODAY).sex == "female"
    assert parse("201701012393", today=TODAY).sex == "male"


def test_coordination_number() -> None:
    # Skatteverket's example: a man born 3 October 1970, birth number 239.
    number = parse("701063-2391", today=TODAY)
    assert number.is_coordination_number
    assert number.digits == "197010632391"
    assert number.birth_date == date(1970, 10, 3)
    assert number.sex == "male"
    assert number.age_on(TODAY) == 55


def test_dash_later_this_year_means_turning_100() -> None:
    # 15 March 2026: "261224-..." cannot be born in December 2026, so it is
    # someone who turns 100 this year and left out the '+'.
    digits = with_check_digit("19261224238")
    number = parse(f"{digits[2:8]}-{digits[8:]}", today=TODAY)
    assert number.digits == digits
    assert parse(f"{digits[2:8]}+{digits[8:]}", today=TODAY).digits == digits


def test_born_today_is_not_future() -> None:
    digits = with_check_digit("20260315238")
    assert parse(digits, today=TODAY).age_months_on(TODAY) == 0


def test_loose_dates_before_1947() -> None:
    digits = with_check_digit("19300230981")
    number = parse(digits, today=TODAY)
    assert number.birth_date == date(1930, 2, 28)
    assert error_code(with_check_digit("19500230981")) == "pnr_date"
    assert error_code(with_check_digit("19301330981")) == "pnr_date"


def test_leap_day_strict_after_1947() -> None:
    assert parse(with_check_digit("20000229238"), today=TODAY).birth_date == date(2000, 2, 29)
    assert error_code(with_check_digit("20010229238")) == "pnr_date"


# -- error codes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "pnr_format"),
        ("640823-323", "pnr_format"),
        ("640823/3234", "pnr_format"),
        ("19640823+3234", "pnr_format"),
        ("６４０８２３-３２３４", "pnr_format"),  # full-width digits
        ("640823-3234" * 10, "pnr_format"),
        ("640823-3235", "pnr_checksum"),
        ("640823-3244", "pnr_checksum"),
    ],
)
def test_error_codes(text: str, code: str) -> None:
    assert error_code(text) == code


def test_birth_number_000() -> None:
    assert error_code(with_check_digit("19640823000")) == "pnr_birth_number"


@pytest.mark.parametrize(
    "eleven",
    [
        "19641323323",  # month 13
        "19640023323",  # month 00
        "19640800323",  # day 00
        "19640832323",  # day 32
        "19640860323",  # day 60: neither a date nor a coordination number
        "19640892323",  # day 92
        "19640231323",  # 31 February
        "17640823323",  # century 17
        "21000101323",  # century 21
    ],
)
def test_bad_dates(eleven: str) -> None:
    assert error_code(with_check_digit(eleven)) == "pnr_date"


def test_future() -> None:
    tomorrow = TODAY + timedelta(days=1)
    assert error_code(with_check_digit(tomorrow.strftime("%Y%m%d") + "238")) == "pnr_future"


def test_every_code_is_documented() -> None:
    assert {
        "pnr_format",
        "pnr_checksum",
        "pnr_date",
        "pnr_birth_number",
        "pnr_future",
    } == PNR_ERROR_CODES


def test_constructor_validates() -> None:
    with pytest.raises(PersonnummerError) as info:
        PersonalNumber("196408233235")
    assert info.value.code == "pnr_checksum"
    assert "3235" not in str(info.value)


# -- ages -----------------------------------------------------------------


def test_age_boundaries() -> None:
    number = PersonalNumber(with_check_digit("20130315238"))
    assert number.age_on(date(2026, 3, 14)) == 12
    assert number.age_on(date(2026, 3, 15)) == 13
    assert number.age_months_on(date(2013, 9, 14)) == 5
    assert number.age_months_on(date(2013, 9, 15)) == 6


def test_age_end_of_month() -> None:
    number = PersonalNumber(with_check_digit("20250831238"))
    assert number.age_months_on(date(2026, 2, 27)) == 5
    assert number.age_months_on(date(2026, 2, 28)) == 6
    leap = PersonalNumber(with_check_digit("20240229238"))
    assert leap.age_on(date(2025, 2, 27)) == 0
    assert leap.age_on(date(2025, 2, 28)) == 1
    assert leap.age_months_on(date(2024, 2, 28)) == -1


# -- test numbers -----------------------------------------------------------


@pytest.mark.parametrize("digits", sorted(SKATTEVERKET_TEST_NUMBERS))
def test_listed_test_numbers_are_valid(digits: str) -> None:
    number = parse(digits, today=TODAY)
    assert is_test_number(number)
    assert is_test_number(digits)


def test_real_looking_number_is_not_a_test_number() -> None:
    assert not is_test_number(parse("640823-3234", today=TODAY))


# -- properties --------------------------------------------------------------


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[PersonalNumber, date]:
    today = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
    born = draw(st.dates(min_value=date(today.year - 199, 1, 1), max_value=today))
    birth_number = draw(st.integers(min_value=1, max_value=999))
    day = born.day + (60 if draw(st.booleans()) else 0)
    eleven = f"{born:%Y%m}{day:02d}{birth_number:03d}"
    return PersonalNumber(with_check_digit(eleven)), today


@given(valid_numbers())
def test_round_trip_through_every_form(case: tuple[PersonalNumber, date]) -> None:
    number, today = case
    d = number.digits
    forms = [d, f"{d[:8]}-{d[8:]}", short_form(number, today)]
    if today.year - int(d[:4]) < 100:
        forms.append(d[2:])
    for form in forms:
        assert parse(form, today=today) == number
    assert parse(number.formatted(), today=today) == number


@given(valid_numbers(), st.integers(min_value=2, max_value=11), st.integers(1, 9))
def test_single_digit_change_breaks_checksum(
    case: tuple[PersonalNumber, date], position: int, delta: int
) -> None:
    digits = case[0].digits
    changed = str((int(digits[position]) + delta) % 10)
    broken = digits[:position] + changed + digits[position + 1 :]
    with pytest.raises(PersonnummerError) as info:
        PersonalNumber(broken)
    assert info.value.code == "pnr_checksum"


@given(st.text(max_size=60), st.dates())
def test_parse_only_raises_personnummer_error(text: str, today: date) -> None:
    try:
        number = parse(text, today=today)
    except PersonnummerError as error:
        assert error.code in PNR_ERROR_CODES
    else:
        assert len(number.digits) == 12
        assert number.birth_date <= today


@given(st.from_regex(r"[0-9]{6}[-+]?[0-9]{4}|[0-9]{8}-?[0-9]{4}", fullmatch=True), st.dates())
def test_parse_digit_shaped_input(text: str, today: date) -> None:
    try:
        parse(text, today=today)
    except PersonnummerError as error:
        assert error.code in PNR_ERROR_CODES
