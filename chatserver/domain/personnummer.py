"""Swedish personal identity numbers (personnummer) and coordination numbers.

Patients are identified by these at login, in guardianships and in the audit
log, always stored in the 12-digit form ``YYYYMMDDNNNC``. Rules from
Folkbokföringslagen (1991:481) 18 § and Skatteverket's rättsliga vägledning
("Personnummer"); coordination numbers (samordningsnummer, Skatteverket)
have the same layout with 60 added to the day.

Error messages never contain the number itself, so they are safe to log.

Exception tree::

    ValueError
    └── PersonnummerError   .code is one of PNR_ERROR_CODES
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

PnrErrorCode = Literal["pnr_format", "pnr_checksum", "pnr_date", "pnr_birth_number", "pnr_future"]

PNR_ERROR_CODES: Final[frozenset[str]] = frozenset(
    {"pnr_format", "pnr_checksum", "pnr_date", "pnr_birth_number", "pnr_future"}
)

# Skatteverket stores the century as 18, 19 or 20 ("Siffran för århundrade kan
# vara 18, 19 eller 20", rättslig vägledning, Personnummer).
_CENTURIES: Final = frozenset({"18", "19", "20"})

# The personnummer was introduced on 1 January 1947 for the whole population,
# much of it from church records; DOMAIN.md notes the date part "may be off by
# a day or two for older people". For birth years before 1947 we therefore
# accept any day 1-31 in any month (the month must still be 1-12): refusing a
# real person's number at login is worse than accepting "30 February", and the
# check digit still catches typing errors.
LOOSE_DATE_BEFORE_YEAR: Final = 1947

# Coordination numbers add 60 to the day of birth (61-91).
COORDINATION_DAY_OFFSET: Final = 60

# Longest input we look at; anything longer is not a personnummer.
MAX_INPUT_LENGTH: Final = 40

_PATTERN: Final = re.compile(
    r"(?P<century>[0-9]{2})?(?P<date>[0-9]{6})(?P<sep>[-+]?)(?P<tail>[0-9]{4})"
)


class PersonnummerError(ValueError):
    """The text is not a valid personnummer; ``code`` says why, stably."""

    def __init__(self, code: PnrErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: PnrErrorCode = code


def luhn_check_digit(nine_digits: str) -> int:
    """The check digit for YYMMDDNNN: weights 2,1,2,1,... from the left, the
    digits of each product added, then the step up to the next multiple of 10
    (Skatteverket, "modulus-10-metoden med vikterna 1 och 2")."""
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


@dataclass(frozen=True, slots=True, repr=False)
class PersonalNumber:
    """A validated personnummer or samordningsnummer, 12 digits.

    ``repr`` shows only the masked form, so a number that ends up in a log or
    a traceback does not identify the person.
    """

    digits: str

    def __post_init__(self) -> None:
        _validate(self.digits)

    def __repr__(self) -> str:
        return f"PersonalNumber({self.masked()!r})"

    @property
    def is_coordination_number(self) -> bool:
        return int(self.digits[6:8]) > COORDINATION_DAY_OFFSET

    @property
    def birth_date(self) -> date:
        """The date of birth; a loosely valid day (see LOOSE_DATE_BEFORE_YEAR)
        is moved back to the last day of its month."""
        year, month, day = _date_parts(self.digits)
        return date(year, month, min(day, calendar.monthrange(year, month)[1]))

    @property
    def sex(self) -> Literal["female", "male"]:
        # The last digit of the birth number: even for women, odd for men
        # (Folkbokföringslagen 18 §).
        return "female" if int(self.digits[10]) % 2 == 0 else "male"

    def age_months_on(self, day: date) -> int:
        """Whole months of age on ``day`` (negative before birth).

        A month is complete on the same day of a later month, or on that
        month's last day when it is shorter (born 31 August: 6 months on
        28 or 29 February)."""
        born = self.birth_date
        months = (day.year - born.year) * 12 + day.month - born.month
        if _add_months(born, months) > day:
            months -= 1
        return months

    def age_on(self, day: date) -> int:
        """Whole years of age on ``day``; consistent with ``age_months_on``
        (someone born on 29 February turns a year older on 28 February in a
        common year)."""
        return self.age_months_on(day) // 12

    def masked(self) -> str:
        """``YYYYMMDD-****``: enough to tell records apart in a log."""
        return f"{self.digits[:8]}-****"

    def formatted(self) -> str:
        """``YYYYMMDD-NNNC``, for display to the person or to staff."""
        return f"{self.digits[:8]}-{self.digits[8:]}"


def parse(text: str, *, today: date) -> PersonalNumber:
    """Read a personnummer typed in any common form.

    Accepts ``YYMMDD-NNNC``, ``YYMMDD+NNNC``, ``YYMMDDNNNC``,
    ``YYYYMMDD-NNNC`` and ``YYYYMMDDNNNC``, surrounding whitespace ignored.
    ``today`` picks the century of the 10-digit forms and rules out birth
    dates in the future.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_LENGTH:
        raise PersonnummerError("pnr_format", "not a personnummer: too long or not text")
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise PersonnummerError(
            "pnr_format",
            "not a personnummer: expected YYMMDD-NNNC, YYMMDD+NNNC or YYYYMMDD-NNNC",
        )
    century, yymmdd, sep, tail = match.group("century", "date", "sep", "tail")
    if century is not None and sep == "+":
        raise PersonnummerError(
            "pnr_format", "the '+' sign is only used with 6-digit dates; write YYYYMMDD-NNNC"
        )
    if century is None:
        century = _century(yymmdd, sep, today)
    number = PersonalNumber(century + yymmdd + tail)
    if number.birth_date > today:
        raise PersonnummerError("pnr_future", "the date of birth is in the future")
    return number


def _century(yymmdd: str, sep: str, today: date) -> str:
    """The century of a 10-digit number written on ``today``.

    Skatteverket: '-' while the person is under 100, '+' from the year they
    turn 100 (Folkbokföringslagen 18 § andra stycket). So '-' means a birth
    year in [today.year - 99, today.year] and '+' one a hundred years earlier.
    A '-' number whose date would fall later this year is read as the person
    turning 100 this year: many forms never ask for the '+'.
    """
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    year = today.year - (today.year - yy) % 100
    if sep == "+" or (year == today.year and (month, day) > (today.month, today.day)):
        year -= 100
    return f"{year // 100:02d}"


def _date_parts(digits: str) -> tuple[int, int, int]:
    day = int(digits[6:8])
    if day > COORDINATION_DAY_OFFSET:
        day -= COORDINATION_DAY_OFFSET
    return int(digits[:4]), int(digits[4:6]), day


def _validate(digits: object) -> None:
    """Check a 12-digit string; the order of checks fixes which code a number
    with several faults gets: format, checksum, birth number, date."""
    if not isinstance(digits, str):
        raise PersonnummerError("pnr_format", "a personnummer is stored as 12 digits")
    if not (len(digits) == 12 and digits.isascii() and digits.isdigit()):
        raise PersonnummerError("pnr_format", "a personnummer is stored as 12 digits")
    if luhn_check_digit(digits[2:11]) != int(digits[11]):
        raise PersonnummerError("pnr_checksum", "the check digit does not match; a typing error?")
    if digits[8:11] == "000":
        raise PersonnummerError("pnr_birth_number", "birth number 000 is never assigned")
    if digits[:2] not in _CENTURIES:
        raise PersonnummerError("pnr_date", "the century must be 18, 19 or 20")
    raw_day = int(digits[6:8])
    year, month, day = _date_parts(digits)
    if not 1 <= month <= 12:
        raise PersonnummerError("pnr_date", "the month must be 01-12")
    if raw_day == COORDINATION_DAY_OFFSET or not 1 <= day <= 31:
        raise PersonnummerError("pnr_date", "the day must be 01-31, or 61-91 for coordination")
    if year >= LOOSE_DATE_BEFORE_YEAR and day > calendar.monthrange(year, month)[1]:
        raise PersonnummerError("pnr_date", "the date of birth does not exist in the calendar")


def _add_months(start: date, months: int) -> date:
    """``start`` plus whole months, the day clamped to the target month."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# Official test numbers from Skatteverket's open data set "Testpersonnummer"
# (https://www.dataportal.se/sv/datasets/6_67959/testpersonnummer, CC0 1.0).
# Skatteverket never assigns them to real people. In that set each day has a
# number with birth number 238 (female) and 239 (male); the 1890s-1900s use
# 980-983. No birth-number range is reserved for tests, so numbers are never
# generated here (a Luhn-valid number outside the set may belong to a real
# person): the entries are copied from the data set as quoted in shared/DOMAIN.md
# and in public test suites that cite it. Every entry's check digit is verified
# by tests/domain/test_personnummer.py. Production refuses these.
SKATTEVERKET_TEST_NUMBERS: Final[frozenset[str]] = frozenset(
    {
        "189002099811",
        "189103179801",
        "189506299818",
        "190006129803",
        "190108219817",
        "190704019801",
        "198501012382",
        "200306062381",
        "200607092384",
        "200802122390",
        "201701012393",
        "202503082386",
        "202504182391",
        "202508242381",
    }
)


def is_test_number(number: PersonalNumber | str) -> bool:
    """True for Skatteverket's published test numbers (12-digit form)."""
    digits = number.digits if isinstance(number, PersonalNumber) else number
    return digits in SKATTEVERKET_TEST_NUMBERS
