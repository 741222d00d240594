"""Vectorised date arithmetic for statutory timescales: hours, days, weeks, months, working days."""

from __future__ import annotations

import datetime
import functools
import importlib.util
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casecheck.lazy import holidays, np, npt, pd

__all__ = ["CALENDAR_YEARS", "YEARS", "Duration", "Unit", "WorkingCalendar"]


class Unit(StrEnum):
    """The unit a statutory timescale is written in."""

    HOURS = "hours"  # clock time: the time of day is kept
    DAYS = "days"  # calendar days, counted on dates
    WORKING_DAYS = "working_days"  # weekdays less bank holidays and closure days
    WEEKS = "weeks"  # seven calendar days each
    MONTHS = "months"  # calendar months, day clamped at month end


# Singular and plural labels, as written by str(Duration) and read by Duration.parse.
_LABELS: dict[Unit, tuple[str, str]] = {
    Unit.HOURS: ("hour", "hours"),
    Unit.DAYS: ("day", "days"),
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.WEEKS: ("week", "weeks"),
    Unit.MONTHS: ("month", "months"),
}
_UNIT_BY_LABEL = {label: unit for unit, labels in _LABELS.items() for label in labels}

_DURATION_RE = re.compile(
    r"\s*(?P<amount>[0-9]+)\s*(?P<unit>working\s+days?|days?|weeks?|months?|hours?)\s*",
    re.IGNORECASE,
)

_CENTURY: dict[Unit, int] = {
    Unit.HOURS: 876_600,
    Unit.DAYS: 36_525,
    Unit.WORKING_DAYS: 26_000,
    Unit.WEEKS: 5_218,
    Unit.MONTHS: 1_200,
}

RULE_YEARS = 10  # the longest timescale a rule may set, in years (see YEARS)

_ACCEPTED_FORMS = '"5 working days", "30 days", "6 weeks", "3 months" or "72 hours"'


class Duration(BaseModel):
    """A statutory timescale such as "5 working days"; YAML may give it as a plain string."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(ge=0)
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read "5 working days", "1 day", "6 weeks", "3 months", "72 hours" and the like."""
        match = _DURATION_RE.fullmatch(text)
        if match is None:
            raise ValueError(
                f'cannot read "{text}" as a duration: write a whole number and a unit, '
                f"such as {_ACCEPTED_FORMS}"
            )
        unit = _UNIT_BY_LABEL[" ".join(match["unit"].lower().split())]
        return cls(amount=int(match["amount"]), unit=unit)

    @model_validator(mode="before")
    @classmethod
    def _accept_string(cls, data: Any) -> Any:
        """Let pydantic (and so the YAML rules) take "5 working days" as well as a mapping."""
        if isinstance(data, str):
            parsed = cls.parse(data)
            return {"amount": parsed.amount, "unit": parsed.unit}
        return data

    @model_validator(mode="after")
    def _not_absurd(self) -> Duration:
        """Refuse a timescale over a century: date arithmetic would overflow, not fail."""
        limit = _CENTURY[self.unit]
        if self.amount > limit:
            raise ValueError(
                f'"{self}" is longer than a century; write at most {limit} {_LABELS[self.unit][1]}'
            )
        return self

    def rule_limit(self) -> str:
        """Why this is too long for a rule's timescale ('' when it is not)."""
        limit = _CENTURY[self.unit] * RULE_YEARS // 100
        if self.amount <= limit:
            return ""
        return (
            f'"{self}" is longer than {RULE_YEARS} years, the longest timescale a rule may set; '
            f"write at most {limit} {_LABELS[self.unit][1]}"
        )

    def __str__(self) -> str:
        singular, plural = _LABELS[self.unit]
        return f"{self.amount} {singular if self.amount == 1 else plural}"


DateArray: TypeAlias = "npt.NDArray[np.datetime64]"

# The years of the dates casecheck works with: a date in an export outside them is an input
# problem, and an as-of date (--as-of, export_date) outside them is refused. The working
# calendar holds every year the holidays package knows England's bank holidays for (1872 to
# 2100). A rule's timescales are at most RULE_YEARS long (`rule_limit`), so counting one back
# from 1900 or on from 2089 stays inside the calendar; a day outside it is refused, not guessed.
YEARS = range(1900, 2090)
CALENDAR_YEARS = range(1872, 2101)


class WorkingCalendar:
    """Weekdays less England and Wales bank holidays less the council's closure days.

    Bank holidays are worked out for the years a call touches, as it touches them: the holidays
    package takes a third of a second for all of `years`, while a run's dates span a few
    decades. Every call first makes sure the calendar holds each year from its earliest day to
    its latest (for a count of working days on or back, the answer's too: when an answer falls
    in a year not yet held, that year is added and the answer worked out again). A count only
    looks at the days between its start and its answer, so the answers are those of a calendar
    built with every year at once; tests/test_calendar.py compares the two.
    """

    def __init__(
        self,
        closure_days: Iterable[datetime.date] = (),
        years: range = CALENDAR_YEARS,
    ) -> None:
        if len(years) == 0:
            raise ValueError("a working calendar needs at least one year")
        self.years = years
        self._closures = frozenset(_as_date(day) for day in closure_days)
        self._bank_holidays: set[datetime.date] = set()
        self._held = range(0)  # the years whose bank holidays are in _busdaycal
        self._first = np.datetime64(datetime.date(min(years), 1, 1), "D")
        self._last = np.datetime64(datetime.date(max(years), 12, 31), "D")
        self._busdaycal = self._business_days()

    def holidays_in(self, years: range) -> tuple[datetime.date, ...]:
        """The bank holidays and closure days in `years` (within the calendar's), sorted."""
        wanted = range(max(years.start, self.years.start), min(years.stop, self.years.stop))
        if len(wanted):
            self._hold(wanted.start, wanted.stop - 1)
        return tuple(
            sorted(day for day in self._bank_holidays | self._closures if day.year in wanted)
        )

    def is_working_day(self, dates: pd.Series) -> pd.Series:
        """True where the date (time of day ignored) is a working day; NaT gives False."""
        days, mask = self._days(dates)
        self._hold_days(days)
        out = np.zeros(len(dates), dtype=bool)
        out[mask] = np.is_busday(days, busdaycal=self._busdaycal)
        return pd.Series(out, index=dates.index, name=dates.name)

    def add(self, dates: pd.Series, duration: Duration) -> pd.Series:
        """The date `duration` after each date (the Nth working day after, for working days)."""
        return self._shift(dates, duration, 1)

    def subtract(self, dates: pd.Series, duration: Duration) -> pd.Series:
        """The date `duration` before each date (the Nth working day before, for working days)."""
        return self._shift(dates, duration, -1)

    def working_days_after(self, start: pd.Series, end: pd.Series) -> pd.Series:
        """Working days in (start, end] by calendar date; negative, -(end, start], if end < start.

        NaT on either side gives <NA>. `start` and `end` must share an index (two columns of
        one table, say), which the result keeps.
        """
        if not start.index.equals(end.index):
            raise ValueError("start and end must have the same index")
        start_days, start_mask = self._days(start)
        end_days, end_mask = self._days(end)
        both = start_mask & end_mask
        start_days = start_days[both[start_mask]]
        end_days = end_days[both[end_mask]]
        # Count (earlier, later] and give it the sign of end - start. numpy counts [begin, end)
        # but, when end < begin, -(end, begin]: its negative counts are not the ones wanted.
        self._hold_days(start_days, end_days)
        one = np.timedelta64(1, "D")
        earlier = np.minimum(start_days, end_days)
        later = np.maximum(start_days, end_days)
        counts = np.busday_count(earlier + one, later + one, busdaycal=self._busdaycal)
        counts = np.where(end_days < start_days, -counts, counts)
        values = np.zeros(len(start), dtype="int64")
        values[both] = counts
        result = pd.Series(values, index=start.index, dtype="Int64")
        result[~both] = pd.NA
        return result

    def offset_days(self, days: DateArray, counts: npt.NDArray[np.int64]) -> DateArray:
        """The counts[i]th working day after days[i] (before it when negative), element-wise.

        Counted as `add` and `subtract` count ("Saturday + 1 working day" is the next Monday; 0
        working days is the day itself), for a count per day rather than one duration. Takes and
        gives datetime64[D] arrays, for code that draws dates as numbers (the generator).
        """
        counts = np.broadcast_to(np.asarray(counts, dtype=np.int64), days.shape)
        self._check_range(days)
        # busday_offset rolls before it counts: backward when counting on, forward when back.
        on = self._offset(days, counts, "backward")
        back = self._offset(days, counts, "forward")
        shifted: DateArray = np.where(counts == 0, days, np.where(counts > 0, on, back))
        self._check_range(shifted)
        return shifted

    def on_or_before(self, days: DateArray) -> DateArray:
        """Each day when it is a working day, else the working day before it."""
        self._check_range(days)
        rolled = self._offset(days, np.zeros(days.shape, dtype=np.int64), "backward")
        self._check_range(rolled)
        return rolled

    def _shift(self, dates: pd.Series, duration: Duration, sign: int) -> pd.Series:
        series = _datetimes(dates)
        amount = sign * duration.amount
        if duration.unit is Unit.HOURS:
            shifted = series + pd.Timedelta(hours=amount)
        elif duration.unit is Unit.DAYS:
            shifted = series.dt.normalize() + pd.Timedelta(days=amount)
        elif duration.unit is Unit.WEEKS:
            shifted = series.dt.normalize() + pd.Timedelta(weeks=amount)
        elif duration.unit is Unit.MONTHS:
            # pandas applies a months-only DateOffset to a whole Series at once, clamping
            # the day at month end (31 Jan + 1 month = 28 Feb).
            shifted = series.dt.normalize() + pd.DateOffset(months=amount)
        else:
            return self._shift_working_days(series, amount)
        return pd.Series(
            shifted.to_numpy(dtype="datetime64[ns]"), index=dates.index, name=dates.name
        )

    def _shift_working_days(self, dates: pd.Series, amount: int) -> pd.Series:
        days, mask = self._days(dates)
        if amount == 0:
            # Zero working days after (or before) a date is the date itself, even a Saturday:
            # rolling it back to the Friday would make the timescale end before it began.
            shifted = days
        else:
            # Rolling a non-working start back (when adding) or forward (when subtracting)
            # to the nearest working day does not change which days are the next (or
            # previous) N working days, so "Saturday + 1 working day" is the next Monday.
            roll: Literal["backward", "forward"] = "backward" if amount > 0 else "forward"
            shifted = self._offset(days, np.full(days.shape, amount, dtype=np.int64), roll)
            self._check_range(shifted)
        out = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[mask] = shifted
        return pd.Series(out, index=dates.index, name=dates.name)

    def _offset(
        self, days: DateArray, counts: npt.NDArray[np.int64], roll: Literal["backward", "forward"]
    ) -> DateArray:
        """np.busday_offset, with the years from each day to its answer held (see the class)."""
        self._hold_days(days)
        while True:
            shifted: DateArray = np.busday_offset(
                days, counts, roll=roll, busdaycal=self._busdaycal
            )
            if not self._hold_days(shifted):
                return shifted

    def _hold_days(self, *arrays: DateArray) -> bool:
        """Hold the years from the earliest of these days to the latest; True if any was added."""
        known = [days[~np.isnat(days)] for days in arrays]
        known = [days for days in known if days.size]
        if not known:
            return False
        first = min(_year(days.min()) for days in known)
        last = max(_year(days.max()) for days in known)
        return self._hold(max(first, self.years.start), min(last, self.years.stop - 1))

    def _hold(self, first: int, last: int) -> bool:
        """Hold the years first to last, and those between them and the ones held; True if any
        was added. Years outside the calendar's are not asked for: _check_range refuses them."""
        held = self._held
        if first > last or (first in held and last in held):
            return False
        if held:
            first, last = min(first, held.start), max(last, held.stop - 1)
        self._bank_holidays |= _bank_holidays([y for y in range(first, last + 1) if y not in held])
        self._held = range(first, last + 1)
        self._busdaycal = self._business_days()
        return True

    def _business_days(self) -> np.busdaycalendar:
        """numpy's calendar: weekdays less the bank holidays held and every closure day."""
        days = sorted(self._bank_holidays | self._closures)
        return np.busdaycalendar(weekmask="1111100", holidays=np.array(days, dtype="datetime64[D]"))

    def _days(self, dates: pd.Series) -> tuple[DateArray, npt.NDArray[np.bool_]]:
        """The non-NaT dates as datetime64[D], and the mask of where they were."""
        series = _datetimes(dates)
        mask = series.notna().to_numpy(dtype=bool)
        days = series.dt.normalize().to_numpy()[mask].astype("datetime64[D]")
        self._check_range(days)
        return days, mask

    def _check_range(self, days: DateArray) -> None:
        """Refuse dates whose bank holidays the calendar does not hold, not guess them."""
        if days.size == 0:
            return
        outside = (days < self._first) | (days > self._last)
        if outside.any():
            first_bad = days[outside][0]
            raise ValueError(
                f"{first_bad} is outside the working calendar, which covers "
                f"{min(self.years)} to {max(self.years)}; build the WorkingCalendar "
                f"with a wider years range"
            )


def _datetimes(dates: pd.Series) -> pd.Series:
    """Check that `dates` is a timezone-naive datetime64 Series (any resolution)."""
    if not isinstance(dates.dtype, np.dtype) or dates.dtype.kind != "M":
        raise TypeError(
            f"expected a timezone-naive datetime64 Series, not one of dtype {dates.dtype}"
        )
    return dates


# Each year's bank holidays once worked out, for every calendar in the process (a run builds
# one, but the rule cases and the trend build many): they depend on the year alone.
_BANK_HOLIDAYS: dict[int, frozenset[datetime.date]] = {}


def _bank_holidays(years: list[int]) -> set[datetime.date]:
    """England and Wales bank holidays in these years, one-off days included."""
    missing = [year for year in years if year not in _BANK_HOLIDAYS]
    if missing:
        found: dict[int, set[datetime.date]] = {year: set() for year in missing}
        for day in _england_and_wales()(years=missing):
            found[day.year].add(_as_date(day))  # the package keeps each in its own year
        _BANK_HOLIDAYS.update((year, frozenset(days)) for year, days in found.items())
    return set().union(*(_BANK_HOLIDAYS[year] for year in years))


@functools.cache
def _england_and_wales() -> Callable[..., Iterable[datetime.date]]:
    """The holidays package's United Kingdom with subdiv="ENG", read on its own.

    holidays.country_holidays imports each of the package's 250-odd countries on its first call
    (0.15 s of CPU in every run), as any import below holidays.countries does. The United
    Kingdom's module imports only the package's shared parts, so its file is read alone, under
    a private name. If a release moves or changes it, country_holidays is used: slower, the
    same days (tests/test_calendar.py compares every year with country_holidays).
    """
    fallback = functools.partial(holidays.country_holidays, "GB", subdiv="ENG")
    path = Path(holidays.__file__).parent / "countries" / "united_kingdom.py"
    spec = importlib.util.spec_from_file_location("casecheck._united_kingdom", path)
    if spec is None or spec.loader is None:
        return fallback
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        country = module.UnitedKingdom
    except (OSError, ImportError, AttributeError):
        return fallback
    return functools.partial(country, subdiv="ENG")


def _year(day: np.datetime64) -> int:
    """The calendar year of a datetime64 day."""
    return int(day.astype("datetime64[Y]").astype(np.int64)) + 1970


def _as_date(day: datetime.date) -> datetime.date:
    """A plain date, so that a datetime passed as a closure day is not kept with its time."""
    if isinstance(day, datetime.datetime):
        return day.date()
    return day
