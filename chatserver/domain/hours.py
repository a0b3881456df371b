"""Opening hours of a staff pool, and queue deadlines in staffed time.

A pool is staffed on a weekly schedule in Europe/Stockholm wall-clock time,
closed (or on Sunday hours) on Swedish public holidays. Deadlines run on
staffed time (shared/DOMAIN.md): a case that arrives at night gets the next
opening plus its target. Every method takes and returns UTC-aware datetimes;
the schedule is read in local time, so 08:00-16:00 is eight real hours even on
the days daylight saving time starts and ends (last Sunday of March: 02:00 ->
03:00; last Sunday of October: 03:00 -> 02:00).

Searches look at most MAX_SEARCH_DAYS ahead, and a schedule with no open time
at all is refused when built, so no method can loop for ever.

Exception tree::

    ValueError
    └── HoursError   bad schedule or spec string, naive datetime, beyond the horizon
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import ClassVar, Final, Literal, NamedTuple, cast
from zoneinfo import ZoneInfo

TZ: Final = ZoneInfo("Europe/Stockholm")

# Longest look-ahead of any search: a year, plus room for a closed holiday run.
MAX_SEARCH_DAYS: Final = 400

HolidayMode = Literal["closed", "weekend"]
Interval = tuple[time, time]

# Closing at midnight is written time(0) ("24:00" in a spec): an interval never
# ends at the start of its own day, so the meaning is unambiguous.
MIDNIGHT: Final = time(0)
_DAY: Final = timedelta(days=1)

DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Eves that are not allmänna helgdagar by law but on which most workplaces
# are closed (de facto holidays). OpeningHours.eves_as_holidays chooses.
DE_FACTO_HOLIDAYS: Final = frozenset({"midsommarafton", "julafton", "nyårsafton"})


class HoursError(ValueError):
    """Opening hours were configured or used wrongly."""


def easter_sunday(year: int) -> date:
    """Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_from(first: date) -> date:
    """The Saturday among the seven days starting at ``first``."""
    return first + timedelta(days=(5 - first.weekday()) % 7)


def swedish_public_holidays(year: int, *, include_de_facto: bool = True) -> dict[date, str]:
    """Sweden's public holidays of ``year``, by date, with their Swedish names.

    Source: Lag (1989:253) om allmänna helgdagar, as amended in 2005
    (nationaldagen replaced annandag pingst). Sundays are also allmänna
    helgdagar by that law; the weekly schedule covers them. With
    ``include_de_facto`` the eves in DE_FACTO_HOLIDAYS are included too. Two
    holidays on one date (e.g. Kristi himmelsfärdsdag on första maj in 2008)
    share the entry, names joined with " och ".
    """
    easter = easter_sunday(year)
    midsummer_day = _saturday_from(date(year, 6, 20))  # Saturday 20-26 June
    listed = [
        (date(year, 1, 1), "nyårsdagen"),
        (date(year, 1, 6), "trettondedag jul"),
        (easter - timedelta(days=2), "långfredagen"),
        (easter, "påskdagen"),
        (easter + timedelta(days=1), "annandag påsk"),
        (date(year, 5, 1), "första maj"),
        (easter + timedelta(days=39), "Kristi himmelsfärdsdag"),
        (easter + timedelta(days=49), "pingstdagen"),
        (date(year, 6, 6), "Sveriges nationaldag"),
        (midsummer_day - timedelta(days=1), "midsommarafton"),
        (midsummer_day, "midsommardagen"),
        (_saturday_from(date(year, 10, 31)), "alla helgons dag"),  # 31 Oct-6 Nov
        (date(year, 12, 24), "julafton"),
        (date(year, 12, 25), "juldagen"),
        (date(year, 12, 26), "annandag jul"),
        (date(year, 12, 31), "nyårsafton"),
    ]
    holidays: dict[date, str] = {}
    for day, name in sorted(listed, key=lambda item: item[0]):
        if name in DE_FACTO_HOLIDAYS and not include_de_facto:
            continue
        holidays[day] = f"{holidays[day]} och {name}" if day in holidays else name
    return holidays


@functools.lru_cache(maxsize=64)
def _holiday_dates(year: int, include_de_facto: bool) -> frozenset[date]:
    return frozenset(swedish_public_holidays(year, include_de_facto=include_de_facto))


class _Run(NamedTuple):
    """Open time in UTC: back-to-back intervals merged. ``open_ended`` means
    the run reaches the search horizon and may go on beyond it."""

    start: datetime
    end: datetime
    open_ended: bool


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """A pool's weekly hours: ``weekly[0]`` is Monday's (open, close) intervals.

    ``holidays`` says what public holidays look like: "closed", or "weekend"
    for Sunday's hours. ``eves_as_holidays`` treats midsommarafton, julafton
    and nyårsafton as holidays too.
    """

    weekly: tuple[tuple[Interval, ...], ...]
    holidays: HolidayMode = "closed"
    eves_as_holidays: bool = True
    tz: ClassVar[ZoneInfo] = TZ

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise HoursError(f"a week has 7 days, got {len(self.weekly)}")
        if self.holidays not in ("closed", "weekend"):
            raise HoursError(f"holidays must be 'closed' or 'weekend', got {self.holidays!r}")
        for name, intervals in zip(DAY_NAMES, self.weekly, strict=True):
            previous_end = timedelta(0)
            for opens, closes in intervals:
                if opens.tzinfo is not None or closes.tzinfo is not None:
                    raise HoursError(f"{name}: opening hours are local times, without tzinfo")
                start, end = _offset(opens), _offset(closes, closing=True)
                if start >= end:
                    raise HoursError(f"{name}: {opens:%H:%M}-{closes:%H:%M} closes before it opens")
                if start < previous_end:
                    raise HoursError(f"{name}: intervals must be in order and not overlap")
                previous_end = end
        if not any(self.weekly):
            raise HoursError("the schedule has no open time at all")

    @classmethod
    def parse(
        cls,
        spec: Mapping[str, str] | str,
        *,
        holidays: HolidayMode | None = None,
        eves_as_holidays: bool = True,
    ) -> OpeningHours:
        """Build from config: ``{"mon-fri": "08:00-16:00", "sat,sun": "09:00-15:00"}``.

        Keys are days (mon..sun), ranges (mon-fri) and lists of them; values are
        ``HH:MM-HH:MM`` intervals separated by commas, "24:00" for midnight,
        "closed", or "always". Days not named are closed. The key "holidays"
        says what public holidays do: "closed" (the default) or "weekend"
        (Sunday's hours). The whole spec may be the string "always": around the
        clock, holidays included unless ``holidays`` says otherwise.
        """
        if isinstance(spec, str):
            if spec.strip().lower() != "always":
                raise HoursError(f"opening hours must be a mapping or 'always', got {spec!r}")
            spec = {"mon-sun": "always"}
            holidays = holidays or "weekend"
        if not isinstance(spec, Mapping) or not spec:
            raise HoursError("opening hours must be a non-empty mapping of days to hours")
        spec = dict(spec)
        on_holidays = spec.pop("holidays", None)
        if on_holidays is not None:
            if on_holidays not in ("closed", "weekend"):
                raise HoursError(f"holidays: {on_holidays!r}: say 'closed' or 'weekend'")
            holidays = holidays or cast(HolidayMode, on_holidays)
            if not spec:
                raise HoursError("opening hours name no days, only holidays")
        days: list[tuple[Interval, ...] | None] = [None] * 7
        for key, value in spec.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise HoursError(f"opening hours {key!r}: {value!r}: keys and values are strings")
            intervals = _parse_intervals(key, value)
            for index in _parse_days(key):
                if days[index] is not None:
                    raise HoursError(f"opening hours: {DAY_NAMES[index]} is given more than once")
                days[index] = intervals
        return cls(tuple(day or () for day in days), holidays or "closed", eves_as_holidays)

    # -- queries ------------------------------------------------------------

    @property
    def always_open(self) -> bool:
        """Open around the clock every day, holidays included (the fast path
        of every query: such a pool has no closing to search for)."""
        return self.holidays == "weekend" and all(map(_covers_whole_day, self.weekly))

    def is_open(self, at: datetime) -> bool:
        at = _utc(at)
        if self.always_open:
            return True
        # A day's periods lie within that local day, so one day decides.
        periods = self._day_periods(at.astimezone(TZ).date())
        return any(start <= at < end for start, end in periods)

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next instant the pool opens."""
        at = _utc(at)
        if self.is_open(at):
            return at
        return self._first_run(at).start

    def next_closing(self, at: datetime) -> datetime | None:
        """When the current (or else the next) open stretch ends; None for a
        pool that is open around the clock up to the search horizon."""
        at = _utc(at)
        if self.always_open:
            return None
        run = self._first_run(at)
        return None if run.open_ended else run.end

    def add_staffed(self, start: datetime, minutes: float) -> datetime:
        """The instant when ``minutes`` of open time have passed since ``start``;
        counting starts at the next opening when ``start`` is outside hours. A
        result at the end of an open stretch is that closing instant."""
        start = _utc(start)
        if not (math.isfinite(minutes) and minutes >= 0):
            raise HoursError(f"staffed minutes must be finite and >= 0, got {minutes!r}")
        remaining = timedelta(minutes=minutes)
        if self.always_open:
            return start + remaining
        for run in self._runs(start):
            begin = max(run.start, start)
            if begin + remaining <= run.end:
                return begin + remaining
            if run.open_ended:
                break
            remaining -= run.end - begin
        raise HoursError(f"{minutes} staffed minutes reach beyond {MAX_SEARCH_DAYS} days")

    def end_of_staffed_day(self, at: datetime) -> datetime:
        """Deadline for "end of the staffed day" (U4-U6, shared/DOMAIN.md).

        The staffed day is the local date on which the open stretch around
        ``at`` (or the next one) began; its deadline is the last closing of
        stretches beginning that date, so a lunch break does not end the day
        and an evening stretch open past midnight ends at its closing. Never
        more than 24 hours after the start ("inom ett dygn"), which is the
        deadline of a pool open around the clock.
        """
        start = self.next_opening(at)
        limit = start + _DAY
        if self.always_open:
            return limit
        # Start a day early to see where a stretch open across midnight began;
        # four days reach past the 24-hour limit.
        day: date | None = None
        end = start
        for run in self._runs(start, days=4, lookback=1):
            run_day = run.start.astimezone(TZ).date()
            if day is not None and run_day != day:
                break
            day, end = run_day, run.end
            if end >= limit:
                break
        return min(end, limit)

    def staffed_minutes_between(self, a: datetime, b: datetime) -> float:
        """Open minutes in [a, b); 0 when b is not after a."""
        a, b = _utc(a), _utc(b)
        if b <= a:
            return 0.0
        days = (b.astimezone(TZ).date() - a.astimezone(TZ).date()).days + 1
        if days > MAX_SEARCH_DAYS:
            raise HoursError(f"staffed time is counted over at most {MAX_SEARCH_DAYS} days")
        if self.always_open:
            return (b - a) / timedelta(minutes=1)
        total = timedelta(0)
        for run in self._runs(a, days):
            if run.start >= b:
                break
            total += min(run.end, b) - max(run.start, a)
        return total / timedelta(minutes=1)

    # -- internals ------------------------------------------------------------

    def _intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in _holiday_dates(day.year, self.eves_as_holidays):
            return () if self.holidays == "closed" else self.weekly[6]
        return self.weekly[day.weekday()]

    def _day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's intervals as UTC periods; empty ones (an interval inside
        the hour skipped in March) are dropped."""
        periods = []
        for opens, closes in self._intervals_on(day):
            start = _wall_to_utc(day, _offset(opens))
            end = _wall_to_utc(day, _offset(closes, closing=True))
            if start < end:
                periods.append((start, end))
        return periods

    def _runs(self, at: datetime, days: int = MAX_SEARCH_DAYS, lookback: int = 0) -> Iterator[_Run]:
        """Open runs that end after ``at``, in order, over ``days`` local days
        from ``lookback`` days before ``at``'s."""
        first = at.astimezone(TZ).date() - timedelta(days=lookback)
        horizon = _wall_to_utc(first + timedelta(days=days), timedelta(0))
        current: tuple[datetime, datetime] | None = None
        for n in range(days):
            for start, end in self._day_periods(first + timedelta(days=n)):
                # Periods before ``at`` still count, so a run open across
                # midnight keeps its true start.
                if current is None:
                    current = (start, end)
                elif start <= current[1]:
                    current = (current[0], max(current[1], end))
                else:
                    if current[1] > at:
                        yield _Run(current[0], current[1], open_ended=False)
                    current = (start, end)
        if current is not None and current[1] > at:
            yield _Run(current[0], current[1], open_ended=current[1] >= horizon)

    def _first_run(self, at: datetime, days: int = MAX_SEARCH_DAYS) -> _Run:
        run = next(self._runs(at, days), None)
        if run is None:
            raise HoursError(f"the pool does not open within {MAX_SEARCH_DAYS} days")
        return run


def _covers_whole_day(intervals: tuple[Interval, ...]) -> bool:
    reached = timedelta(0)
    for opens, closes in intervals:
        if _offset(opens) > reached:
            return False
        reached = _offset(closes, closing=True)
    return reached == _DAY


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise HoursError("opening hours need timezone-aware datetimes (UTC)")
    return at.astimezone(UTC)


def _offset(t: time, *, closing: bool = False) -> timedelta:
    """Time since local midnight; a closing time of 00:00 means 24:00."""
    if closing and t == MIDNIGHT:
        return _DAY
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _wall_to_utc(day: date, offset: timedelta) -> datetime:
    """The instant the Stockholm wall clock shows ``day`` 00:00 + ``offset``.

    A time repeated in October is taken at its first occurrence (fold=0). A
    time skipped in March is taken as the instant of the jump, so periods stay
    in order and an interval ending in the gap ends when the gap starts.
    """
    wall = datetime.combine(day, time()) + offset
    first = wall.replace(tzinfo=TZ).astimezone(UTC)
    if first.astimezone(TZ).replace(tzinfo=None) == wall:
        return first
    # In the gap: fold=1 reads the wall time with the offset after the jump
    # (an earlier instant), fold=0 with the one before. Bisect to the jump.
    low, high = wall.replace(tzinfo=TZ, fold=1).astimezone(UTC), first
    after = high.astimezone(TZ).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(TZ).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


_INTERVAL: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")


def _parse_intervals(key: str, value: str) -> tuple[Interval, ...]:
    text = value.strip().lower()
    if text == "closed":
        return ()
    if text == "always":
        return ((MIDNIGHT, MIDNIGHT),)
    intervals = []
    for part in text.split(","):
        match = _INTERVAL.fullmatch(part.strip())
        if match is None:
            raise HoursError(
                f"opening hours {key!r}: {part.strip()!r} is not HH:MM-HH:MM "
                "(or 'closed', 'always')"
            )
        oh, om, ch, cm = (int(group) for group in match.groups())
        if oh > 23 or om > 59 or ch > 24 or cm > 59 or (ch == 24 and cm != 0):
            raise HoursError(f"opening hours {key!r}: {part.strip()!r} is not a time of day")
        if (ch, cm) == (0, 0):
            raise HoursError(f"opening hours {key!r}: write 24:00, not 00:00, for midnight")
        intervals.append((time(oh, om), MIDNIGHT if ch == 24 else time(ch, cm)))
    return tuple(intervals)


def _parse_days(key: str) -> list[int]:
    indices: list[int] = []
    for part in key.lower().split(","):
        first, _, last = (name.strip() for name in part.partition("-"))
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise HoursError(
                f"opening hours {key!r}: days are {', '.join(DAY_NAMES)}, or ranges like mon-fri"
            )
        start = DAY_NAMES.index(first)
        end = DAY_NAMES.index(last) if last else start
        if end < start:
            raise HoursError(f"opening hours {key!r}: a day range runs forward, as in mon-fri")
        indices.extend(range(start, end + 1))
    return indices
