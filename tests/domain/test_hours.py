from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatserver.domain.hours import (
    TZ,
    HoursError,
    OpeningHours,
    easter_sunday,
    swedish_public_holidays,
)

WEEKDAYS = OpeningHours.parse({"mon-fri": "08:00-16:00"})
DIGITALEN = OpeningHours.parse({"mon-fri": "08:00-18:00", "sat,sun": "09:00-15:00"})
DENTAL = OpeningHours.parse({"mon-thu": "07:30-15:00", "fri": "07:30-14:00"})
LUNCH = OpeningHours.parse({"mon-fri": "08:00-12:00, 13:00-16:00"})
EVERY_DAY = OpeningHours.parse({"mon-sun": "08:00-18:00"}, holidays="weekend")
ALWAYS = OpeningHours.parse("always")
NIGHT = OpeningHours.parse({"mon-sun": "00:00-02:00, 20:00-24:00"}, holidays="weekend")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time as a UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# -- holidays ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_holidays_2026() -> None:
    holidays = swedish_public_holidays(2026)
    assert holidays[date(2026, 4, 3)] == "långfredagen"
    assert holidays[date(2026, 4, 6)] == "annandag påsk"
    assert holidays[date(2026, 5, 14)] == "Kristi himmelsfärdsdag"
    assert holidays[date(2026, 6, 19)] == "midsommarafton"
    assert holidays[date(2026, 6, 20)] == "midsommardagen"
    assert holidays[date(2026, 10, 31)] == "alla helgons dag"
    assert len(holidays) == 16


def test_holidays_2027() -> None:
    holidays = swedish_public_holidays(2027)
    assert holidays[date(2027, 3, 26)] == "långfredagen"
    assert holidays[date(2027, 6, 25)] == "midsommarafton"
    assert holidays[date(2027, 11, 6)] == "alla helgons dag"
    statutory = swedish_public_holidays(2027, include_de_facto=False)
    assert set(holidays) - set(statutory) == {
        date(2027, 6, 25),
        date(2027, 12, 24),
        date(2027, 12, 31),
    }


def test_holidays_sharing_a_date() -> None:
    # 2008: Easter 23 March, so Kristi himmelsfärdsdag fell on första maj.
    assert (
        swedish_public_holidays(2008)[date(2008, 5, 1)] == "första maj och Kristi himmelsfärdsdag"
    )


@given(st.integers(min_value=1900, max_value=2200))
def test_holiday_weekdays(year: int) -> None:
    holidays = {name: day for day, name in swedish_public_holidays(year).items()}
    assert holidays["midsommarafton"].weekday() == 4
    assert date(year, 6, 19) <= holidays["midsommarafton"] <= date(year, 6, 25)
    assert holidays["midsommardagen"].weekday() == 5
    assert holidays["alla helgons dag"].weekday() == 5
    assert date(year, 10, 31) <= holidays["alla helgons dag"] <= date(year, 11, 6)
    assert easter_sunday(year).weekday() == 6


# -- is_open -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 1, 12, 7, 59), False),  # Monday before opening
        (local(2026, 1, 12, 8, 0), True),  # opening instant is open
        (local(2026, 1, 12, 15, 59), True),
        (local(2026, 1, 12, 16, 0), False),  # closing instant is closed
        (local(2026, 1, 17, 10, 0), False),  # Saturday
        (local(2026, 1, 6, 10, 0), False),  # trettondedag jul, a Tuesday
        (local(2026, 4, 3, 10, 0), False),  # långfredagen
        (local(2026, 4, 6, 10, 0), False),  # annandag påsk
        (local(2026, 4, 7, 10, 0), True),
        (local(2026, 6, 19, 10, 0), False),  # midsommarafton
        (local(2026, 12, 24, 10, 0), False),  # julafton
        (local(2027, 3, 29, 10, 0), False),  # annandag påsk 2027
        (local(2027, 12, 31, 10, 0), False),  # nyårsafton
    ],
)
def test_is_open_weekdays(at: datetime, expected: bool) -> None:
    assert WEEKDAYS.is_open(at) is expected


def test_eves_may_be_working_days() -> None:
    eves_open = OpeningHours.parse({"mon-fri": "08:00-16:00"}, eves_as_holidays=False)
    assert eves_open.is_open(local(2026, 12, 24, 10, 0))
    assert not eves_open.is_open(local(2026, 12, 25, 10, 0))


def test_holidays_on_sunday_hours() -> None:
    assert DIGITALEN.holidays == "closed"
    assert not DIGITALEN.is_open(local(2026, 4, 6, 10, 0))
    weekend = OpeningHours.parse(
        {"mon-fri": "08:00-18:00", "sat,sun": "09:00-15:00"}, holidays="weekend"
    )
    assert not weekend.is_open(local(2026, 4, 6, 8, 30))
    assert weekend.is_open(local(2026, 4, 6, 9, 0))
    assert weekend.next_closing(local(2026, 4, 6, 9, 0)) == local(2026, 4, 6, 15, 0)


def test_always() -> None:
    assert ALWAYS.always_open
    assert ALWAYS.is_open(local(2026, 12, 24, 3, 0))
    assert ALWAYS.next_closing(local(2026, 12, 24, 3, 0)) is None
    closes_on_holidays = OpeningHours.parse("always", holidays="closed")
    assert not closes_on_holidays.always_open
    assert closes_on_holidays.next_closing(local(2026, 1, 2)) == local(2026, 1, 6, 0, 0)
    assert closes_on_holidays.next_opening(local(2026, 1, 6, 12, 0)) == local(2026, 1, 7, 0, 0)


# -- next_opening / next_closing ---------------------------------------------


def test_next_opening_and_closing() -> None:
    friday_evening = local(2026, 1, 16, 17, 0)
    assert WEEKDAYS.next_opening(friday_evening) == local(2026, 1, 19, 8, 0)
    assert WEEKDAYS.next_closing(friday_evening) == local(2026, 1, 19, 16, 0)
    assert WEEKDAYS.next_opening(local(2026, 1, 19, 9, 0)) == local(2026, 1, 19, 9, 0)
    # Easter 2026: Thursday evening -> Tuesday morning.
    assert WEEKDAYS.next_opening(local(2026, 4, 2, 16, 0)) == local(2026, 4, 7, 8, 0)
    assert DENTAL.next_closing(local(2026, 1, 16, 9, 0)) == local(2026, 1, 16, 14, 0)


def test_night_pool_runs_past_midnight() -> None:
    assert NIGHT.next_closing(local(2026, 1, 12, 21, 0)) == local(2026, 1, 13, 2, 0)
    assert NIGHT.is_open(local(2026, 1, 13, 0, 0))


# -- DST ---------------------------------------------------------------------


# 28 March 2027 is both Easter Sunday and the day summer time starts.
@pytest.mark.parametrize(
    "day", [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
)
def test_working_day_on_dst_day_is_eight_hours(day: date) -> None:
    sundays = OpeningHours.parse({"sun": "08:00-16:00"}, holidays="weekend")
    start = local(day.year, day.month, day.day, 8, 0)
    closing = sundays.next_closing(start)
    assert closing is not None
    assert closing - start == timedelta(hours=8)
    assert sundays.add_staffed(start, 480) == local(day.year, day.month, day.day, 16, 0)


def test_dst_days_are_23_and_25_hours() -> None:
    spring, autumn = local(2026, 3, 29, 0, 0), local(2026, 10, 25, 0, 0)
    assert ALWAYS.staffed_minutes_between(spring, spring + timedelta(days=1)) == 24 * 60
    night = OpeningHours.parse({"sun": "00:00-24:00"})
    assert night.staffed_minutes_between(spring, local(2026, 3, 30, 0, 0)) == 23 * 60
    assert night.staffed_minutes_between(autumn, local(2026, 10, 26, 0, 0)) == 25 * 60


def test_interval_in_the_skipped_hour() -> None:
    hours = OpeningHours.parse({"sun": "01:00-02:30, 02:30-04:00, 05:00-06:00"})
    start = local(2026, 3, 29, 1, 0)
    # 01:00-02:00 CET then 03:00-04:00 CEST: two real hours, no gap between.
    assert hours.next_closing(start) == local(2026, 3, 29, 4, 0)
    assert hours.add_staffed(start, 120) == local(2026, 3, 29, 4, 0)
    skipped = OpeningHours.parse({"sun": "02:15-02:45", "mon": "08:00-09:00"})
    assert skipped.next_opening(local(2026, 3, 29, 0, 0)) == local(2026, 3, 30, 8, 0)


# -- add_staffed ---------------------------------------------------------------


def test_add_staffed_examples() -> None:
    assert WEEKDAYS.add_staffed(local(2026, 1, 12, 9, 0), 60) == local(2026, 1, 12, 10, 0)
    # Across a night.
    assert WEEKDAYS.add_staffed(local(2026, 1, 12, 15, 30), 60) == local(2026, 1, 13, 8, 30)
    # Across a weekend.
    assert WEEKDAYS.add_staffed(local(2026, 1, 16, 15, 0), 120) == local(2026, 1, 19, 9, 0)
    # Across Easter 2026 (långfredagen to annandag påsk).
    assert WEEKDAYS.add_staffed(local(2026, 4, 2, 15, 0), 120) == local(2026, 4, 7, 9, 0)
    # Arriving at night: counting starts at the opening.
    assert WEEKDAYS.add_staffed(local(2026, 1, 12, 3, 0), 15) == local(2026, 1, 12, 8, 15)
    assert WEEKDAYS.add_staffed(local(2026, 1, 12, 3, 0), 0) == local(2026, 1, 12, 8, 0)
    # Exactly the rest of the day ends at closing, not at the next opening.
    assert WEEKDAYS.add_staffed(local(2026, 1, 12, 15, 0), 60) == local(2026, 1, 12, 16, 0)
    assert LUNCH.add_staffed(local(2026, 1, 12, 11, 30), 60) == local(2026, 1, 12, 13, 30)


def test_add_staffed_rejects_bad_minutes() -> None:
    with pytest.raises(HoursError):
        WEEKDAYS.add_staffed(local(2026, 1, 12, 9, 0), -1)
    with pytest.raises(HoursError):
        WEEKDAYS.add_staffed(local(2026, 1, 12, 9, 0), float("nan"))
    with pytest.raises(HoursError):
        WEEKDAYS.add_staffed(local(2026, 1, 12, 9, 0), 10**7)


# -- end_of_staffed_day ------------------------------------------------------


def test_end_of_staffed_day() -> None:
    assert WEEKDAYS.end_of_staffed_day(local(2026, 1, 12, 9, 0)) == local(2026, 1, 12, 16, 0)
    assert WEEKDAYS.end_of_staffed_day(local(2026, 1, 12, 17, 0)) == local(2026, 1, 13, 16, 0)
    assert WEEKDAYS.end_of_staffed_day(local(2026, 4, 2, 16, 0)) == local(2026, 4, 7, 16, 0)
    # A lunch break does not end the staffed day.
    assert LUNCH.end_of_staffed_day(local(2026, 1, 12, 9, 0)) == local(2026, 1, 12, 16, 0)
    assert DENTAL.end_of_staffed_day(local(2026, 1, 16, 6, 0)) == local(2026, 1, 16, 14, 0)
    # Open past midnight: the stretch's end; around the clock: 24 hours.
    assert NIGHT.end_of_staffed_day(local(2026, 1, 12, 21, 0)) == local(2026, 1, 13, 2, 0)
    start = local(2026, 1, 12, 10, 0)
    assert NIGHT.end_of_staffed_day(local(2026, 1, 13, 1, 0)) == local(2026, 1, 13, 2, 0)
    assert ALWAYS.end_of_staffed_day(start) == start + timedelta(hours=24)
    split = OpeningHours.parse({"mon-sun": "00:00-12:00, 12:00-24:00"}, holidays="weekend")
    assert split.always_open
    assert split.end_of_staffed_day(start) == start + timedelta(hours=24)


# -- staffed_minutes_between ---------------------------------------------------


def test_staffed_minutes_between() -> None:
    monday, next_monday = local(2026, 1, 12, 0, 0), local(2026, 1, 19, 0, 0)
    assert WEEKDAYS.staffed_minutes_between(monday, next_monday) == 5 * 480
    assert DIGITALEN.staffed_minutes_between(monday, next_monday) == 5 * 600 + 2 * 360
    assert LUNCH.staffed_minutes_between(monday, next_monday) == 5 * 420
    assert WEEKDAYS.staffed_minutes_between(next_monday, monday) == 0.0
    easter_week = local(2026, 3, 30, 0, 0)
    assert WEEKDAYS.staffed_minutes_between(easter_week, easter_week + timedelta(days=7)) == 4 * 480


# -- config parsing ------------------------------------------------------------


def test_parse_shapes() -> None:
    assert WEEKDAYS.weekly[0] == ((time(8), time(16)),)
    assert WEEKDAYS.weekly[5] == ()
    assert ALWAYS.weekly[6] == ((time(0), time(0)),)
    hours = OpeningHours.parse(
        {"Mon, Wed - Fri": "09:00-17:00", "tue": "closed", "sat": "10:00-24:00"}
    )
    assert [bool(day) for day in hours.weekly] == [True, False, True, True, True, True, False]


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"mon-fri": "8-16"},
        {"mon-fri": "08:00-25:00"},
        {"mon-fri": "16:00-08:00"},
        {"mon-fri": "08:00-00:00"},
        {"mon-fri": "08:00-12:00, 11:00-16:00"},
        {"monday": "08:00-16:00"},
        {"fri-mon": "08:00-16:00"},
        {"mon-fri": "08:00-16:00", "fri": "08:00-14:00"},
        {"mon-sun": "closed"},
        {"mon": 8},
    ],
)
def test_parse_errors(spec: dict[str, str]) -> None:
    with pytest.raises(HoursError):
        OpeningHours.parse(spec)


def test_bad_construction() -> None:
    with pytest.raises(HoursError, match="7 days"):
        OpeningHours(((),))
    with pytest.raises(HoursError, match="holidays"):
        OpeningHours.parse({"mon": "08:00-16:00"}, holidays="open")  # type: ignore[arg-type]
    with pytest.raises(HoursError):
        OpeningHours.parse("sometimes")
    with pytest.raises(HoursError, match="timezone"):
        WEEKDAYS.is_open(datetime(2026, 1, 12, 9, 0))


def test_other_timezones_are_accepted() -> None:
    helsinki_like = datetime(2026, 1, 12, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert WEEKDAYS.is_open(helsinki_like)
    assert WEEKDAYS.next_opening(helsinki_like).tzinfo is UTC


# -- properties ----------------------------------------------------------------

SCHEDULES = [WEEKDAYS, DIGITALEN, DENTAL, LUNCH, EVERY_DAY, ALWAYS, NIGHT]
DST_CHANGES = [local(2026, 3, 29, 1, 0), local(2026, 10, 25, 2, 0), local(2027, 3, 28, 1, 0)]
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda change, seconds: change + timedelta(seconds=seconds),
        st.sampled_from(DST_CHANGES),
        st.integers(min_value=-3 * 86400, max_value=3 * 86400),
    ),
)
minutes = st.floats(min_value=0, max_value=20_000, allow_nan=False, allow_infinity=False)


@given(st.sampled_from(SCHEDULES), instants, minutes, minutes)
def test_add_staffed_is_monotonic(
    hours: OpeningHours, start: datetime, m1: float, m2: float
) -> None:
    low, high = sorted((m1, m2))
    assert hours.add_staffed(start, low) <= hours.add_staffed(start, high)


@given(st.sampled_from(SCHEDULES), instants, minutes)
def test_add_staffed_lands_in_open_time(hours: OpeningHours, start: datetime, m: float) -> None:
    result = hours.add_staffed(start, m)
    assert result >= start
    # Open, or exactly a closing instant.
    assert hours.is_open(result) or hours.is_open(result - timedelta(microseconds=1))
    assert hours.staffed_minutes_between(start, result) == pytest.approx(m, abs=1e-4)


@given(st.sampled_from(SCHEDULES), instants)
def test_opening_and_closing_agree(hours: OpeningHours, at: datetime) -> None:
    opening = hours.next_opening(at)
    assert hours.is_open(opening)
    assert opening == at or not hours.is_open(at)
    closing = hours.next_closing(at)
    if closing is not None:
        assert closing > opening
        assert not hours.is_open(closing)
        assert hours.is_open(closing - timedelta(microseconds=1))
    deadline = hours.end_of_staffed_day(at)
    assert opening < deadline <= opening + timedelta(hours=24)


def test_a_holidays_key_says_what_holidays_do() -> None:
    weekend = OpeningHours.parse({"mon-sun": "08:00-18:00", "holidays": "weekend"})
    closed = OpeningHours.parse({"mon-sun": "08:00-18:00", "holidays": "closed"})
    assert (weekend.holidays, closed.holidays) == ("weekend", "closed")
    assert weekend == EVERY_DAY
    christmas = datetime(2026, 12, 25, 12, tzinfo=TZ)
    assert weekend.is_open(christmas) and not closed.is_open(christmas)
    for bad in ({"holidays": "closed"}, {"mon": "08:00-16:00", "holidays": "sometimes"}):
        with pytest.raises(HoursError):
            OpeningHours.parse(bad)
