"""Tests for casecheck.calendar: durations, working days, bank holidays and closure days."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Callable, Sequence

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from casecheck.calendar import Duration, Unit, WorkingCalendar

D = datetime.date
CAL = WorkingCalendar()
# The council shuts between Christmas and New Year 2025.
CLOSED = WorkingCalendar(closure_days=[D(2025, 12, 29), D(2025, 12, 30), D(2025, 12, 31)])


def series(*values: str | None, index: list[str] | list[int] | None = None) -> pd.Series:
    """A datetime64 Series from ISO strings; None becomes NaT."""
    data: list[object] = list(values)
    return pd.to_datetime(pd.Series(data, index=index, dtype=object), format="ISO8601")


def shift(calendar: WorkingCalendar, start: str, text: str, *, back: bool = False) -> str:
    """Add (or subtract) a duration to one date and give the answer back as ISO text."""
    method = calendar.subtract if back else calendar.add
    result = method(series(start), Duration.parse(text))
    return str(result.iloc[0].isoformat(sep=" "))


def wd(start: str, n: int, calendar: WorkingCalendar = CAL, *, back: bool = False) -> D:
    """The date n working days after (or before) start."""
    method = calendar.subtract if back else calendar.add
    result = method(series(start), Duration(amount=n, unit=Unit.WORKING_DAYS))
    return result.iloc[0].date()  # type: ignore[no-any-return]


def after(start: str, end: str, calendar: WorkingCalendar = CAL) -> object:
    return calendar.working_days_after(series(start), series(end)).iloc[0]


# --- Duration ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("5 working days", 5, Unit.WORKING_DAYS),
        ("1 working day", 1, Unit.WORKING_DAYS),
        ("30 days", 30, Unit.DAYS),
        ("1 day", 1, Unit.DAYS),
        ("6 weeks", 6, Unit.WEEKS),
        ("1 week", 1, Unit.WEEKS),
        ("3 months", 3, Unit.MONTHS),
        ("1 month", 1, Unit.MONTHS),
        ("72 hours", 72, Unit.HOURS),
        ("1 hour", 1, Unit.HOURS),
        ("0 days", 0, Unit.DAYS),
        ("  5   Working \t Days  ", 5, Unit.WORKING_DAYS),
        ("45 WORKING DAYS", 45, Unit.WORKING_DAYS),
        ("12 Months", 12, Unit.MONTHS),
        ("24hours", 24, Unit.HOURS),
    ],
)
def test_parse_accepts_every_form(text: str, amount: int, unit: Unit) -> None:
    assert Duration.parse(text) == Duration(amount=amount, unit=unit)


@pytest.mark.parametrize(
    "text",
    [
        "5 wd",
        "",
        "   ",
        "five days",
        "-5 days",
        "5.5 days",
        "5",
        "days",
        "5 fortnights",
        "5 working",
        "5 workingdays",
        "5 days 3 hours",
        "5 business days",
        "５ days",  # a full-width digit is not a plain whole number
    ],
)
def test_parse_rejects_bad_text_with_whole_message(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        Duration.parse(text)
    assert str(caught.value) == (
        f'cannot read "{text}" as a duration: write a whole number and a unit, such as '
        '"5 working days", "30 days", "6 weeks", "3 months" or "72 hours"'
    )


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(amount=5, unit=Unit.WORKING_DAYS), "5 working days"),
        (Duration(amount=1, unit=Unit.WORKING_DAYS), "1 working day"),
        (Duration(amount=30, unit=Unit.DAYS), "30 days"),
        (Duration(amount=1, unit=Unit.DAYS), "1 day"),
        (Duration(amount=0, unit=Unit.DAYS), "0 days"),
        (Duration(amount=6, unit=Unit.WEEKS), "6 weeks"),
        (Duration(amount=1, unit=Unit.WEEKS), "1 week"),
        (Duration(amount=3, unit=Unit.MONTHS), "3 months"),
        (Duration(amount=1, unit=Unit.MONTHS), "1 month"),
        (Duration(amount=72, unit=Unit.HOURS), "72 hours"),
        (Duration(amount=1, unit=Unit.HOURS), "1 hour"),
    ],
)
def test_str(duration: Duration, text: str) -> None:
    assert str(duration) == text


@given(amount=st.integers(min_value=0, max_value=1_200), unit=st.sampled_from(Unit))
def test_str_round_trips_through_parse(amount: int, unit: Unit) -> None:
    duration = Duration(amount=amount, unit=unit)
    assert Duration.parse(str(duration)) == duration


def test_pydantic_accepts_a_string() -> None:
    adapter = TypeAdapter(Duration)
    assert adapter.validate_python("5 working days") == Duration(amount=5, unit=Unit.WORKING_DAYS)


def test_pydantic_accepts_a_mapping_and_an_instance() -> None:
    adapter = TypeAdapter(Duration)
    duration = Duration(amount=6, unit=Unit.WEEKS)
    assert adapter.validate_python({"amount": 6, "unit": "weeks"}) == duration
    assert adapter.validate_python(duration) == duration


def test_pydantic_reads_a_string_field_as_from_yaml() -> None:
    class Rule(BaseModel):
        timescale: Duration

    rule = Rule.model_validate({"timescale": "3 months"})
    assert rule.timescale == Duration(amount=3, unit=Unit.MONTHS)


def test_pydantic_rejects_a_bad_string_with_the_parse_message() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Duration).validate_python("5 wd")
    assert 'cannot read "5 wd" as a duration: write a whole number and a unit' in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        {"amount": -1, "unit": "days"},
        {"amount": 5, "unit": "fortnights"},
        {"amount": 5, "unit": "days", "extra": 1},
        {"amount": 5},
    ],
)
def test_pydantic_rejects_bad_mappings(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Duration).validate_python(data)


def test_duration_is_frozen_and_hashable() -> None:
    duration = Duration.parse("5 working days")
    with pytest.raises(ValidationError):
        duration.amount = 6  # type: ignore[misc]
    assert {duration, Duration.parse("5 working days")} == {duration}


# --- The calendar itself -------------------------------------------------------------------------


def test_holidays_include_one_off_days_and_are_sorted() -> None:
    held = CAL.holidays_in(range(2022, 2027))
    assert D(2022, 9, 19) in held  # State Funeral of Queen Elizabeth II
    assert D(2023, 5, 8) in held  # Coronation of Charles III
    assert D(2025, 12, 25) in held
    assert D(2026, 4, 3) in held  # Good Friday
    assert D(2026, 4, 6) in held  # Easter Monday
    assert D(2025, 12, 29) not in held
    assert list(held) == sorted(set(held))
    assert all(type(day) is D for day in held)
    assert (held[0], held[-1]) == (D(2022, 1, 1), D(2026, 12, 28))
    # Every year the holidays package knows, around the years of an export's dates.
    assert CAL.years == range(1872, 2101)
    every = FULL[False].holidays_in(CAL.years)
    assert (every[0].year, every[-1].year) == (1872, 2100)
    # Years outside the calendar's have none.
    assert CAL.holidays_in(range(1800, 1872)) == ()
    assert CAL.holidays_in(range(2100, 2200)) == tuple(d for d in every if d.year == 2100)


def test_closure_days_join_the_holidays() -> None:
    held = CLOSED.holidays_in(range(2025, 2026))
    assert D(2025, 12, 29) in held
    assert D(2025, 12, 25) in held
    assert list(held) == sorted(set(held))
    assert D(2025, 12, 29) not in CAL.holidays_in(range(2025, 2026))


def test_closure_given_as_a_datetime_is_kept_as_a_date() -> None:
    calendar = WorkingCalendar(closure_days=[datetime.datetime(2025, 11, 4, 9, 0)])
    assert D(2025, 11, 4) in calendar.holidays_in(range(2025, 2026))
    assert wd("2025-11-03", 1, calendar) == D(2025, 11, 5)


def test_is_working_day() -> None:
    dates = series(
        "2025-11-03 09:15",  # Monday
        "2025-11-08",  # Saturday
        "2025-11-09",  # Sunday
        "2025-12-25",  # Christmas Day
        "2025-12-24 23:59",  # Christmas Eve is a working day
        "2023-05-08",  # Coronation
        "2022-09-19",  # State Funeral
        "2026-04-03",  # Good Friday
        "2026-04-06",  # Easter Monday
        None,
        index=list("abcdefghij"),
    )
    result = CAL.is_working_day(dates)
    assert result.dtype == bool
    assert result.index.equals(dates.index)
    assert result.tolist() == [True, False, False, False, True, False, False, False, False, False]


def test_is_working_day_with_a_closure() -> None:
    dates = series("2025-12-24", "2025-12-29", "2025-12-30", "2025-12-31", "2026-01-02")
    assert CLOSED.is_working_day(dates).tolist() == [True, False, False, False, True]
    assert CAL.is_working_day(dates).tolist() == [True, True, True, True, True]


# --- Working days --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, D(2025, 11, 4)),
        (2, D(2025, 11, 5)),
        (3, D(2025, 11, 6)),
        (4, D(2025, 11, 7)),
        (5, D(2025, 11, 10)),  # Monday 3 Nov + 5 = the next Monday
        (10, D(2025, 11, 17)),
    ],
)
def test_add_working_days_in_a_week_with_no_holiday(n: int, expected: D) -> None:
    assert wd("2025-11-03", n) == expected


def test_add_working_days_over_christmas_and_new_year() -> None:
    # Thu 25 and Fri 26 Dec 2025 and Thu 1 Jan 2026 are bank holidays.
    # After Tue 23 Dec: 24 Dec (1), 29 (2), 30 (3), 31 (4), Fri 2 Jan 2026 (5).
    assert wd("2025-12-23", 5) == D(2026, 1, 2)
    assert wd("2025-12-23", 4) == D(2025, 12, 31)
    assert wd("2025-12-24", 1) == D(2025, 12, 29)
    assert wd("2025-12-25", 1) == D(2025, 12, 29)  # from a bank holiday
    assert wd("2025-12-31", 1) == D(2026, 1, 2)


def test_add_working_days_over_easter_2026() -> None:
    # Good Friday 3 Apr, Easter Monday 6 Apr.
    assert wd("2026-04-02", 1) == D(2026, 4, 7)
    assert wd("2026-04-01", 5) == D(2026, 4, 10)
    assert wd("2026-04-03", 1) == D(2026, 4, 7)
    assert wd("2026-04-04", 1) == D(2026, 4, 7)


def test_add_working_days_over_the_coronation() -> None:
    # Mon 1 May 2023 (May Day) and Mon 8 May 2023 (Coronation) are both bank holidays.
    assert wd("2023-05-05", 1) == D(2023, 5, 9)
    assert wd("2023-04-28", 5) == D(2023, 5, 9)


def test_add_working_days_over_the_state_funeral() -> None:
    assert wd("2022-09-16", 1) == D(2022, 9, 20)
    assert wd("2022-09-15", 3) == D(2022, 9, 21)


def test_add_working_days_over_a_council_closure() -> None:
    # Closed 29-31 Dec 2025 as well as the bank holidays.
    assert wd("2025-12-23", 1, CLOSED) == D(2025, 12, 24)
    assert wd("2025-12-23", 2, CLOSED) == D(2026, 1, 2)
    assert wd("2025-12-23", 5, CLOSED) == D(2026, 1, 7)
    assert wd("2026-01-07", 5, CLOSED, back=True) == D(2025, 12, 23)


def test_add_working_days_from_a_weekend() -> None:
    assert wd("2025-11-08", 1) == D(2025, 11, 10)  # Saturday + 1 = Monday
    assert wd("2025-11-09", 1) == D(2025, 11, 10)  # Sunday + 1 = Monday
    assert wd("2025-11-08", 5) == D(2025, 11, 14)
    assert wd("2025-11-09 18:00", 2) == D(2025, 11, 11)


def test_zero_working_days_is_the_date_itself() -> None:
    assert wd("2025-11-03 16:00", 0) == D(2025, 11, 3)
    assert wd("2025-11-08", 0) == D(2025, 11, 8)  # even a Saturday
    assert wd("2025-11-08", 0, back=True) == D(2025, 11, 8)


def test_subtract_working_days() -> None:
    assert wd("2025-11-10", 5, back=True) == D(2025, 11, 3)
    assert wd("2025-11-04", 1, back=True) == D(2025, 11, 3)
    assert wd("2026-01-02", 5, back=True) == D(2025, 12, 23)
    assert wd("2026-04-07", 1, back=True) == D(2026, 4, 2)
    assert wd("2023-05-09", 1, back=True) == D(2023, 5, 5)
    assert wd("2022-09-20", 1, back=True) == D(2022, 9, 16)
    assert wd("2025-11-08", 1, back=True) == D(2025, 11, 7)  # Saturday - 1 = Friday
    assert wd("2025-11-09", 1, back=True) == D(2025, 11, 7)  # Sunday - 1 = Friday
    assert wd("2025-12-26", 1, back=True) == D(2025, 12, 24)  # from a bank holiday


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-11-03", "2025-11-10", 5),
        ("2025-11-03", "2025-11-08", 4),  # a Saturday end counts up to the Friday
        ("2025-11-03", "2025-11-03", 0),
        ("2025-11-03 23:59", "2025-11-04 00:01", 1),  # by calendar date, not by the clock
        ("2025-11-10", "2025-11-03", -5),
        ("2025-11-10", "2025-11-07", -1),
        ("2025-11-08", "2025-11-09", 0),
        ("2025-11-07", "2025-11-08", 0),
        ("2025-11-08", "2025-11-07", 0),
        ("2025-11-08", "2025-11-10", 1),
        ("2025-12-23", "2026-01-02", 5),
        ("2026-01-02", "2025-12-23", -5),
        ("2026-04-02", "2026-04-07", 1),
        ("2023-05-05", "2023-05-09", 1),
        ("2022-09-16", "2022-09-20", 1),
    ],
)
def test_working_days_after(start: str, end: str, expected: int) -> None:
    assert after(start, end) == expected


def test_working_days_after_a_council_closure() -> None:
    assert after("2025-12-23", "2026-01-02", CLOSED) == 2
    assert after("2026-01-02", "2025-12-23", CLOSED) == -2


def test_working_days_after_nat_and_index() -> None:
    index = [30, 10, 20, 40]
    start = series("2025-11-03", None, "2025-11-03", None, index=index)
    end = series("2025-11-10", "2025-11-10", None, None, index=index)
    result = CAL.working_days_after(start, end)
    assert str(result.dtype) == "Int64"
    assert result.index.tolist() == index
    assert result.iloc[0] == 5
    assert result.iloc[1:].isna().all()


def test_working_days_after_needs_matching_indexes() -> None:
    with pytest.raises(ValueError, match="start and end must have the same index"):
        CAL.working_days_after(series("2025-11-03"), series("2025-11-10", index=[7]))


# --- Calendar units ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        ("2025-11-03 14:30", "30 days", "2025-12-03 00:00:00"),
        ("2025-11-03 14:30", "1 day", "2025-11-04 00:00:00"),
        ("2025-11-03 14:30", "0 days", "2025-11-03 00:00:00"),
        ("2025-11-03 14:30", "6 weeks", "2025-12-15 00:00:00"),
        ("2025-12-23", "5 days", "2025-12-28 00:00:00"),  # bank holidays count as days
        ("2025-01-15 10:45", "3 months", "2025-04-15 00:00:00"),
        ("2025-01-31", "1 month", "2025-02-28 00:00:00"),
        ("2025-08-31", "6 months", "2026-02-28 00:00:00"),
        ("2023-08-31", "6 months", "2024-02-29 00:00:00"),
        ("2024-02-29", "12 months", "2025-02-28 00:00:00"),
        ("2025-11-30", "3 months", "2026-02-28 00:00:00"),
        ("2025-11-03 10:30", "72 hours", "2025-11-06 10:30:00"),
        ("2025-11-07 17:00", "72 hours", "2025-11-10 17:00:00"),  # hours skip nothing
        ("2025-11-03 23:30", "1 hour", "2025-11-04 00:30:00"),
        ("2025-11-03 14:30", "5 working days", "2025-11-10 00:00:00"),
    ],
)
def test_add_calendar_units(start: str, text: str, expected: str) -> None:
    assert shift(CAL, start, text) == expected


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        ("2025-11-03 14:30", "30 days", "2025-10-04 00:00:00"),
        ("2025-11-03 14:30", "2 weeks", "2025-10-20 00:00:00"),
        ("2025-03-31", "1 month", "2025-02-28 00:00:00"),
        ("2024-03-31", "1 month", "2024-02-29 00:00:00"),
        ("2025-11-03 00:30", "1 hour", "2025-11-02 23:30:00"),
        ("2025-11-10 08:00", "5 working days", "2025-11-03 00:00:00"),
    ],
)
def test_subtract_calendar_units(start: str, text: str, expected: str) -> None:
    assert shift(CAL, start, text, back=True) == expected


ALL_UNITS = ["72 hours", "30 days", "6 weeks", "3 months", "5 working days"]


@pytest.mark.parametrize("text", ALL_UNITS)
@pytest.mark.parametrize("back", [False, True])
def test_nat_index_and_name_kept(text: str, back: bool) -> None:
    dates = series("2025-11-03 10:30", None, "2025-11-08", index=["c", "a", "b"]).rename("when")
    method = CAL.subtract if back else CAL.add
    result = method(dates, Duration.parse(text))
    assert result.index.equals(dates.index)
    assert result.name == "when"
    assert result.dtype == "datetime64[ns]"
    assert result.isna().tolist() == [False, True, False]


@pytest.mark.parametrize("text", ALL_UNITS)
def test_all_nat_and_empty(text: str) -> None:
    duration = Duration.parse(text)
    all_nat = series(None, None)
    assert CAL.add(all_nat, duration).isna().all()
    assert CAL.is_working_day(all_nat).tolist() == [False, False]
    assert CAL.working_days_after(all_nat, all_nat).isna().all()
    empty = pd.Series([], dtype="datetime64[ns]")
    assert CAL.add(empty, duration).empty
    assert CAL.is_working_day(empty).empty
    assert CAL.working_days_after(empty, empty).empty


@pytest.mark.parametrize("resolution", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("text", ALL_UNITS)
def test_any_input_resolution_gives_nanoseconds(resolution: str, text: str) -> None:
    dates = series("2025-11-03 10:30", None).astype(np.dtype(f"datetime64[{resolution}]"))
    result = CAL.add(dates, Duration.parse(text))
    assert result.dtype == "datetime64[ns]"
    expected = CAL.add(series("2025-11-03 10:30", None), Duration.parse(text))
    pd.testing.assert_series_equal(result, expected)


def test_time_of_day_dropped_for_days_and_kept_for_hours() -> None:
    dates = series("2025-11-03 10:30", "2025-11-08 23:59")
    hours = CAL.add(dates, Duration.parse("0 hours"))
    assert hours.tolist() == dates.tolist()
    for text in ["0 days", "0 weeks", "0 months", "0 working days"]:
        days = CAL.add(dates, Duration.parse(text))
        assert days.tolist() == [pd.Timestamp("2025-11-03"), pd.Timestamp("2025-11-08")]


def test_rejects_non_datetime_series() -> None:
    with pytest.raises(TypeError, match="expected a timezone-naive datetime64 Series"):
        CAL.add(pd.Series(["2025-11-03"]), Duration.parse("1 day"))
    aware = series("2025-11-03").dt.tz_localize("Europe/London")
    with pytest.raises(TypeError, match="expected a timezone-naive datetime64 Series"):
        CAL.is_working_day(aware)


def test_refuses_dates_outside_the_calendar_years() -> None:
    calendar = WorkingCalendar(years=range(2020, 2031))
    message = (
        "2019-12-31 is outside the working calendar, which covers 2020 to 2030; "
        "build the WorkingCalendar with a wider years range"
    )
    with pytest.raises(ValueError) as caught:
        calendar.is_working_day(series("2025-01-01", "2019-12-31"))
    assert str(caught.value) == message
    with pytest.raises(ValueError, match="2031-01-01 is outside the working calendar"):
        calendar.add(series("2030-12-31"), Duration.parse("1 working day"))
    # Plain calendar units do not need bank holidays, so they are not limited.
    assert shift(calendar, "2019-12-31", "1 day") == "2020-01-01 00:00:00"


# --- Laws, checked with hypothesis against a day-by-day reference ------------------------------

REFERENCE_HOLIDAYS = set(holidays.country_holidays("GB", subdiv="ENG", years=range(2014, 2038)))


def is_working(day: D) -> bool:
    return day.weekday() < 5 and day not in REFERENCE_HOLIDAYS


def reference_add(day: D, n: int) -> D:
    """Step one day at a time, counting working days after `day`."""
    count = 0
    while count < n:
        day += datetime.timedelta(days=1)
        count += is_working(day)
    return day


def reference_subtract(day: D, n: int) -> D:
    count = 0
    while count < n:
        day -= datetime.timedelta(days=1)
        count += is_working(day)
    return day


def reference_after(start: D, end: D) -> int:
    low, high = min(start, end), max(start, end)
    count = sum(is_working(low + datetime.timedelta(days=i + 1)) for i in range((high - low).days))
    return count if end >= start else -count


moments = st.datetimes(
    min_value=datetime.datetime(2015, 1, 1), max_value=datetime.datetime(2035, 12, 31, 23, 59)
)
maybe_moments = st.one_of(st.none(), moments, moments, moments)
pairs = st.lists(st.tuples(maybe_moments, maybe_moments), min_size=1, max_size=30)
amounts = st.integers(min_value=0, max_value=60)


def as_series(values: Sequence[datetime.datetime | None]) -> pd.Series:
    data: list[object] = list(values)
    raw = pd.Series(data, index=range(100, 100 + len(values)), dtype=object)
    return pd.to_datetime(raw)


@settings(deadline=None)
@given(pairs=pairs, n=amounts)
def test_matches_day_by_day_reference(
    pairs: list[tuple[datetime.datetime | None, datetime.datetime | None]], n: int
) -> None:
    starts = as_series([s for s, _ in pairs])
    ends = as_series([e for _, e in pairs])
    duration = Duration(amount=n, unit=Unit.WORKING_DAYS)
    added = CAL.add(starts, duration)
    subtracted = CAL.subtract(starts, duration)
    counted = CAL.working_days_after(starts, ends)
    working = CAL.is_working_day(starts)
    for i, (s, e) in enumerate(pairs):
        if s is None:
            assert pd.isna(added.iloc[i])
            assert pd.isna(subtracted.iloc[i])
            assert not working.iloc[i]
        else:
            assert added.iloc[i] == pd.Timestamp(reference_add(s.date(), n))
            assert subtracted.iloc[i] == pd.Timestamp(reference_subtract(s.date(), n))
            assert working.iloc[i] == is_working(s.date())
        if s is None or e is None:
            assert counted.iloc[i] is pd.NA
        else:
            assert counted.iloc[i] == reference_after(s.date(), e.date())


@settings(deadline=None)
@given(pairs=pairs, n=amounts)
def test_count_and_add_agree(
    pairs: list[tuple[datetime.datetime | None, datetime.datetime | None]], n: int
) -> None:
    """working_days_after(s, add(s, N)) == N, and the deadline law for working-day ends.

    For an end e on a working day: e <= add(s, N) iff working_days_after(s, e) <= N.
    For any end e: e < add(s, N) iff working_days_after(s, e) < N, when N >= 1.
    (e <= add(s, N) iff count <= N does not hold for a weekend or holiday e just after the
    deadline: see test_weekend_after_the_deadline_counts_n.)
    """
    starts = as_series([s for s, _ in pairs])
    ends = as_series([e for _, e in pairs])
    duration = Duration(amount=n, unit=Unit.WORKING_DAYS)
    due = CAL.add(starts, duration)
    assert (CAL.working_days_after(starts, due) == n).all()

    counted = CAL.working_days_after(starts, ends)
    known = starts.notna() & ends.notna()
    ends_day = ends.dt.normalize()
    on_time = (ends_day <= due)[known]
    assert not on_time.isna().any()
    working_end = CAL.is_working_day(ends)[known]
    within = (counted <= n)[known].astype(bool)
    assert (on_time == within)[working_end].all()
    if n >= 1:
        early = (ends_day < due)[known]
        short = (counted < n)[known].astype(bool)
        assert (early == short).all()


@settings(deadline=None)
@given(pairs=pairs, n=st.integers(min_value=1, max_value=60))
def test_add_and_subtract_undo_each_other_on_working_days(
    pairs: list[tuple[datetime.datetime | None, datetime.datetime | None]], n: int
) -> None:
    starts = as_series([s for s, _ in pairs])
    duration = Duration(amount=n, unit=Unit.WORKING_DAYS)
    one = Duration(amount=1, unit=Unit.WORKING_DAYS)
    # On a working day both are exact inverses; off one, they land on the working day
    # before (add then subtract) or after (subtract then add).
    on_or_before = CAL.subtract(CAL.add(starts, one), one)
    on_or_after = CAL.add(CAL.subtract(starts, one), one)
    round_trip = CAL.subtract(CAL.add(starts, duration), duration)
    back_trip = CAL.add(CAL.subtract(starts, duration), duration)
    pd.testing.assert_series_equal(round_trip, on_or_before)
    pd.testing.assert_series_equal(back_trip, on_or_after)
    working = CAL.is_working_day(starts)
    normalised = starts.dt.normalize().astype("datetime64[ns]")
    pd.testing.assert_series_equal(round_trip[working], normalised[working])


def test_weekend_after_the_deadline_counts_n() -> None:
    # Monday 3 Nov 2025 + 4 working days is Friday 7 Nov. Saturday 8 Nov is after the
    # deadline, yet only 4 working days have passed: lateness is judged by date, not count.
    start, saturday = "2025-11-03", "2025-11-08"
    assert wd(start, 4) == D(2025, 11, 7)
    assert after(start, saturday) == 4


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("1201 months", "1200 months"),
        ("5219 weeks", "5218 weeks"),
        ("36526 days", "36525 days"),
        ("26001 working days", "26000 working days"),
        ("876601 hours", "876600 hours"),
    ],
)
def test_a_duration_over_a_century_is_refused(text: str, limit: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Duration).validate_python(text)
    assert f'"{text}" is longer than a century; write at most {limit}' in str(caught.value)


# --- A count per day, for code that draws dates as numbers (the generator) ---------------------


@settings(deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.dates(D(2015, 1, 1), D(2035, 12, 31)), st.integers(-60, 60)), min_size=1
    )
)
def test_offset_days_counts_each_day_as_add_and_subtract_do(rows: list[tuple[D, int]]) -> None:
    days = np.array([day for day, _ in rows], dtype="datetime64[D]")
    counts = np.array([count for _, count in rows], dtype=np.int64)
    shifted = CAL.offset_days(days, counts)
    for (day, count), got in zip(rows, shifted, strict=True):
        expected = reference_add(day, count) if count >= 0 else reference_subtract(day, -count)
        assert got == np.datetime64(expected, "D")


def test_offset_days_over_the_coronation_and_from_a_weekend() -> None:
    days = np.array(["2023-05-05", "2023-05-06", "2023-05-09", "2023-05-06"], dtype="datetime64[D]")
    shifted = CAL.offset_days(days, np.array([1, 0, -1, 1]))
    # Friday + 1 skips the weekend and the Coronation Monday; Saturday + 0 is Saturday;
    # Tuesday - 1 is the Friday before; Saturday + 1 is Tuesday.
    assert shifted.astype(str).tolist() == ["2023-05-09", "2023-05-06", "2023-05-05", "2023-05-09"]


def test_on_or_before_rolls_back_to_a_working_day() -> None:
    days = np.array(["2023-05-08", "2023-05-09", "2025-12-30"], dtype="datetime64[D]")
    assert CAL.on_or_before(days).astype(str).tolist() == ["2023-05-05", "2023-05-09", "2025-12-30"]
    assert CLOSED.on_or_before(days[2:]).astype(str).tolist() == ["2025-12-24"]


def test_offset_days_refuses_days_outside_the_calendar_years() -> None:
    calendar = WorkingCalendar(years=range(2020, 2031))
    with pytest.raises(ValueError, match="2031-01-01 is outside the working calendar"):
        calendar.offset_days(np.array(["2030-12-31"], dtype="datetime64[D]"), np.array([1]))


# --- Bank holidays worked out as calls need them, against a calendar holding every year ---------

# Closure days across the accepted years, some next to a new year.
CLOSURES = (
    D(1900, 1, 2),
    D(1936, 12, 29),
    D(1999, 12, 30),
    D(2000, 1, 4),
    D(2025, 12, 29),
    D(2025, 12, 30),
    D(2025, 12, 31),
    D(2060, 6, 1),
    D(2089, 12, 29),
)


def _every_year(closed: bool) -> WorkingCalendar:
    """A calendar that holds every year's bank holidays before it is asked anything."""
    calendar = WorkingCalendar(closure_days=CLOSURES if closed else ())
    calendar.holidays_in(calendar.years)
    return calendar


FULL = {closed: _every_year(closed) for closed in (False, True)}


def test_a_calendar_holding_every_year_is_the_one_built_at_once() -> None:
    # What WorkingCalendar held from its constructor before it worked years out as needed.
    at_once = set(holidays.country_holidays("GB", subdiv="ENG", years=range(1872, 2101)))
    assert FULL[False].holidays_in(range(1872, 2101)) == tuple(sorted(at_once))
    assert FULL[True].holidays_in(range(1872, 2101)) == tuple(sorted(at_once | set(CLOSURES)))
    # Calendars share each year's holidays, worked out a few years at a time: a year's
    # holidays are the same asked alone as among all the others.
    for year in range(1872, 2101):
        alone = set(holidays.country_holidays("GB", subdiv="ENG", years=year))
        assert alone == {day for day in at_once if day.year == year}


def test_the_calendar_loads_no_other_country() -> None:
    # holidays.country_holidays would import every country the package knows (0.15 s).
    code = (
        "import sys, pandas as pd\n"
        "from casecheck.calendar import Duration, WorkingCalendar\n"
        "days = pd.Series(pd.to_datetime(['2025-12-22']))\n"
        "due = WorkingCalendar().add(days, Duration.parse('10 working days'))\n"
        "assert due.iloc[0] == pd.Timestamp('2026-01-08'), due\n"
        "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_a_new_calendar_holds_only_the_years_it_is_asked_about() -> None:
    calendar = WorkingCalendar()
    assert calendar._held == range(0)
    calendar.add(series("2025-11-03"), Duration.parse("5 working days"))
    assert calendar._held == range(2025, 2026)
    # 22 December 2025 + 10 working days lands in 2026: 2026 is added and the count redone.
    assert wd("2025-12-22", 10, calendar) == D(2026, 1, 8)
    assert calendar._held == range(2025, 2027)
    calendar.working_days_after(series("2019-06-03"), series("2019-06-04"))
    assert calendar._held == range(2019, 2027)


def _outcome(
    call: Callable[[WorkingCalendar], object], calendar: WorkingCalendar
) -> tuple[str, object]:
    """What a call gave, or the error it raised, so two calendars can be compared whole."""
    try:
        value = call(calendar)
    except ValueError as exc:
        return "error", str(exc)
    if isinstance(value, pd.Series):
        return "series", value.astype(str).tolist()
    if isinstance(value, np.ndarray):
        return "array", value.astype(str).tolist()
    return "value", value


@st.composite
def _days_near_a_year(draw: st.DrawFn) -> tuple[list[D | None], list[D | None]]:
    """Two lists of days within a year or so of one year in 1900-2089; some missing (NaT)."""
    year = draw(st.integers(1900, 2089))
    low = max(D(1900, 1, 1), D(year - 1, 1, 1))
    high = min(D(2089, 12, 31), D(year + 1, 12, 31))
    day = st.one_of(st.none(), st.dates(low, high), st.dates(low, high))
    size = draw(st.integers(1, 12))
    lists = st.lists(day, min_size=size, max_size=size)
    return draw(lists), draw(lists)


def _iso(days: list[D | None]) -> pd.Series:
    return series(*[None if day is None else day.isoformat() for day in days])


@settings(deadline=None, max_examples=50)
@given(
    pairs=_days_near_a_year(),
    amount=st.integers(0, 700),
    counts=st.lists(st.integers(-700, 700), min_size=12, max_size=12),
    closed=st.booleans(),
)
def test_working_years_out_as_needed_gives_the_answers_of_every_year_at_once(
    pairs: tuple[list[D | None], list[D | None]], amount: int, counts: list[int], closed: bool
) -> None:
    full = FULL[closed]
    lazy = WorkingCalendar(closure_days=CLOSURES if closed else ())
    starts, ends = _iso(pairs[0]), _iso(pairs[1])
    known = [day for day in pairs[0] if day is not None]
    days = np.array(known, dtype="datetime64[D]")
    per_day = np.array(counts[: len(known)], dtype=np.int64)
    working = Duration(amount=amount, unit=Unit.WORKING_DAYS)
    calls: list[Callable[[WorkingCalendar], object]] = [
        lambda c: c.is_working_day(starts),
        lambda c: c.add(starts, working),
        lambda c: c.subtract(starts, working),
        lambda c: c.working_days_after(starts, ends),
        lambda c: c.offset_days(days, per_day),
        lambda c: c.on_or_before(days),
        lambda c: c.add(starts, Duration(amount=amount, unit=Unit.MONTHS)),
    ]
    for call in calls:
        assert _outcome(call, lazy) == _outcome(call, full)
    if known:
        years = range(min(known).year, max(known).year + 1)
        assert lazy.holidays_in(years) == full.holidays_in(years)
