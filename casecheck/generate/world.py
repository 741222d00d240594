"""The random source, day numbers and array helpers every table of the generator is drawn with."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from casecheck.calendar import WorkingCalendar
from casecheck.generate.timescales import Timescales

Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
Obj = npt.NDArray[np.object_]
Part = dict[str, npt.NDArray[Any]]

BLANK = -(10**9)  # a missing date, in days or minutes: written as an empty field
DAY = 1440  # minutes in a day
YEAR = 365.25
KEY = 10**6  # child * KEY + day orders events by child, then by day
_EPOCH = np.datetime64("1900-01-02", "D")  # a working day, from which working days are numbered


@dataclass(frozen=True)
class World:
    """The random source, the extract date as a day number, and England's working-day calendar."""

    rng: np.random.Generator
    end: int
    calendar: WorkingCalendar
    timescales: Timescales  # the rules' timescales, which on time and late are drawn around

    def uniform(self, lo: int | Int, hi: int | Int, size: int | None = None) -> Int:
        """Whole numbers from lo to hi inclusive; array bounds broadcast."""
        low = np.asarray(lo, dtype=np.int64)
        high = np.asarray(hi, dtype=np.int64)
        shape = np.broadcast_shapes(low.shape, high.shape) if size is None else (size,)
        return low + np.floor(self.rng.random(shape) * (high - low + 1)).astype(np.int64)

    def chance(self, p: float, size: int) -> Bool:
        return self.rng.random(size) < p

    def choice(
        self, options: tuple[str, ...], size: int, p: tuple[float, ...] | None = None
    ) -> Obj:
        return np.array(options, dtype=object)[self.rng.choice(len(options), size, p=p)]

    def pick(self, eligible: Bool, share: float) -> Bool:
        """Exactly `share` of the eligible (at least one, and not all, when two or more are)."""
        where = np.flatnonzero(eligible)
        count = round(share * where.size)
        if where.size >= 2:
            count = min(max(count, 1), where.size - 1)
        chosen = np.zeros(eligible.size, dtype=bool)
        chosen[self.rng.permutation(where)[:count]] = True
        return chosen

    def split(self, size: int, *shares: float) -> list[Bool]:
        """Masks for ways of going wrong, one per share; what is left over is none of them."""
        draw = self.rng.random(size)
        bounds = np.cumsum((0.0, *shares))
        return [(draw >= low) & (draw < high) for low, high in itertools.pairwise(bounds)]

    def add_working_days(self, days: Int, count: int | Int) -> Int:
        """The `count`th working day after each day (0: the day itself), as casecheck counts."""
        counts = np.asarray(count, dtype=np.int64)
        moved = self.calendar.offset_days(days.astype("datetime64[D]"), counts)
        return moved.astype(np.int64)

    def working_day_by(self, days: Int) -> Int:
        """Each day, or the working day before it when it is a weekend or bank holiday."""
        return self.calendar.on_or_before(days.astype("datetime64[D]")).astype(np.int64)

    def working_number(self, days: Int) -> Int:
        """Each day's number on a line of working days (a day off counts as the one before)."""
        epoch = pd.Series(np.full(days.size, _EPOCH).astype("datetime64[ns]"))
        dates = pd.Series(days.astype("datetime64[D]").astype("datetime64[ns]"))
        counted = self.calendar.working_days_after(epoch, dates)
        return counted.to_numpy(dtype=np.int64)

    def from_working_number(self, numbers: Int) -> Int:
        """The working day with each number (the inverse of working_number on working days)."""
        epoch = np.full(numbers.size, _EPOCH)
        return self.calendar.offset_days(epoch, numbers).astype(np.int64)

    def office_minute(self, days: Int) -> Int:
        """A time in office hours on each day, in minutes since 1970."""
        return days * DAY + self.uniform(8 * 60, 19 * 60, days.size)


def repeat_text(value: str | Obj, size: int) -> Obj:
    return np.full(size, value, dtype=object) if isinstance(value, str) else value


def either(condition: Bool, yes: str, no: str) -> Obj:
    """`yes` where the condition holds, else `no`: two shared strings, not one per row."""
    out: Obj = np.array([no, yes], dtype=object)[condition.astype(np.intp)]
    return out


def ranks(sizes: Int) -> Int:
    """0, 1, 2, ... within each group of rows laid out by np.repeat(groups, sizes)."""
    return np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def group_cumsum(values: Int, sizes: Int) -> Int:
    """Running totals of values, restarting at each group of rows laid out by sizes."""
    total: Int = np.cumsum(values)
    before: Int = np.concatenate(([0], total))[np.cumsum(sizes) - sizes]
    return total - np.repeat(before, sizes)


def is_last(group: Int) -> Bool:
    """True on the last row of each run of equal, sorted group numbers."""
    return np.append(group[1:] != group[:-1], True)


def series(
    lo: Int,
    hi: Int,
    first: Int,
    gaps: Callable[[Int, Int], Int],
    min_gap: int,
    *,
    backward: bool = False,
) -> tuple[Int, Int, Int]:
    """Dates per group, `first` days on from lo (or back from hi) and then `gaps` apart.

    Only dates inside [lo, hi] are kept: a group whose hi is before its lo gets none.
    `gaps(group, rank)` gives the step to each date of rank >= 1 and must be >= min_gap.
    Returns (group, day, rank), rank 0 being the date nearest the anchor.
    """
    span = hi - lo
    sizes = np.where(span >= 0, span // min_gap + 2, 0)
    group = np.repeat(np.arange(lo.size, dtype=np.int64), sizes)
    rank = ranks(sizes)
    offset = group_cumsum(np.where(rank == 0, first[group], gaps(group, rank)), sizes)
    keep = offset <= span[group]
    group, rank, offset = group[keep], rank[keep], offset[keep]
    day = hi[group] - offset if backward else lo[group] + offset
    return group, day, rank


def spaced(w: World, lo: Int, hi: Int, count: Int, gap: int | Int) -> tuple[Int, Int, Int]:
    """Up to `count` random days per group in [lo, hi], sorted, at least `gap` apart.

    Fewer when there is no room. Returns (group, day, rank).
    """
    gaps = np.broadcast_to(np.asarray(gap, dtype=np.int64), lo.shape)
    count = np.minimum(count, np.where(hi >= lo, (hi - lo) // gaps + 1, 0))
    group = np.repeat(np.arange(lo.size, dtype=np.int64), count)
    rank = ranks(count)
    slack = (hi - lo - (count - 1) * gaps)[group]
    raw = np.floor(w.rng.random(group.size) * (slack + 1)).astype(np.int64)
    raw = raw[np.lexsort((raw, group))]
    return group, lo[group] + raw + rank * gaps[group], rank


def periods(child: Int, start: Int, children: int, last_end: Int) -> tuple[Int, Int, Int, Int]:
    """Consecutive periods from start days: each ends as the next begins, the last at last_end."""
    order = np.lexsort((start, child))
    child, start = child[order], start[order]
    same = np.append(child[1:] == child[:-1], False)
    end = np.where(same, np.append(start[1:], 0), last_end[child])
    return child, start, end, ranks(np.bincount(child, minlength=children).astype(np.int64))


def recent_first(latest: Int, span: Int) -> Int:
    """How far back from its end a series' latest date falls: `latest`, or the span if shorter."""
    return np.minimum(latest, np.maximum(span, 0))


def concat(parts: list[Part]) -> Part:
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def take(parts: list[Part]) -> Part:
    """The rows gathered in parts, concatenated; the parts are let go, to save memory."""
    rows = concat(parts)
    parts.clear()
    return rows


def sort_rows(rows: Part, *keys: str) -> Part:
    """Rows sorted by the keys, the first the most significant; ties keep their order."""
    order = np.lexsort(tuple(rows[key] for key in reversed(keys)))
    return {name: values[order] for name, values in rows.items()}
