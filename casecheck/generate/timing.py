"""On time or late around a rule's timescale: once after an event, or again and again."""

from __future__ import annotations

import numpy as np

from casecheck.generate.timescales import Interval
from casecheck.generate.world import BLANK, Bool, Int, World, series


def after(w: World, day: Int, interval: Interval, late: Bool) -> Int:
    """A day within the interval after each day (at the latest its last day), or a few to a few
    dozen days or working days past it where `late`."""
    size, amount = day.size, interval.amount
    steps = np.where(
        late, w.uniform(amount + 2, amount + 30, size), w.uniform(0, max(amount - 1, 0), size)
    )
    if interval.working:
        return w.add_working_days(day, steps)
    return day + steps


def again(
    w: World, lo: Int, hi: Int, first: Interval, every: Interval, good: Bool, lapsed: Bool
) -> tuple[Int, Int]:
    """Dates from lo to hi per child, first within `first` of lo, then at most `every` apart,
    for the `good`; the `lapsed` stopped more than `every` before hi; the rest have none.

    Working-day intervals are drawn on working days (numbered in a line), others on any day.
    Returns (child, day).
    """
    if every.working != first.working:
        raise ValueError("first and every must both be in working days, or both not")
    if every.working:
        lo, hi = w.working_number(lo), w.working_number(hi)
    size, gap = lo.size, every.amount
    stop = np.where(lapsed, hi - w.uniform(gap + 3, gap + 40, size), hi)
    stop = np.where(good | lapsed, stop, lo - 1)  # nothing at all for the rest
    opening = w.uniform(max(first.amount // 2, 0), max(first.amount - 1, 0), size)

    def gaps(group: Int, rank: Int) -> Int:
        return w.uniform(max(gap // 2, 1), max(gap - 1, 1), group.size)

    child, when, _ = series(lo, stop, opening, gaps, max(gap // 2, 1))
    if every.working:
        when = w.from_working_number(when)
    return child, when


def blank_after(day: Int, limit: int) -> Int:
    """BLANK where a day falls after the limit (not yet happened at the extract date)."""
    return np.where(day > limit, BLANK, day)
