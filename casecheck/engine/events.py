"""Per-event triggers: the named events (placement start, return, contact, change of worker) and
events read from any table (`event: {table, date, end, lasted_more_than, label}`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from casecheck.calendar import Duration
from casecheck.engine.context import Context
from casecheck.engine.language import Strict
from casecheck.export.schema import TABLES, Kind
from casecheck.lazy import pd

# Each builder returns the source table's rows (so rules can filter on its columns) with `ref`
# (the event's id), `date` (when it happened) and `until` (when the spell it belongs to ended:
# the period of care, the allocation; NaT while open or where there is no spell) added. A
# deadline after `until` (the child left care, the case closed) is not an exception.


@dataclass(frozen=True)
class EventKind:
    """An event a per-event rule checks: where it comes from and how a message names it."""

    table: str
    label: str  # "Placement started": followed by the date in messages
    build: Callable[[Context], pd.DataFrame]
    # The age from which the event's deadlines no longer apply (looked-after placements: 18;
    # Staying Put and care leavers have their own rules), or None.
    until_age: int | None = None
    left: str = ""  # how the child leaves the event's spell, in words: "left care"


def _open(rows: pd.DataFrame) -> pd.Series:
    """No spell to leave: `until` is NaT for every row."""
    return pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")


def _placement_start(ctx: Context) -> pd.DataFrame:
    rows = ctx.placement_spells
    return rows.assign(ref=rows["PLACEMENT_ID"], date=rows["START_DATE"], until=rows["spell_end"])


def _missing_return(ctx: Context) -> pd.DataFrame:
    rows = ctx.table("missing_episodes")
    rows = rows[rows["END_DATE"].notna()]
    return rows.assign(ref=rows["MISSING_EPISODE_ID"], date=rows["END_DATE"], until=_open(rows))


def _contact(ctx: Context) -> pd.DataFrame:
    rows = ctx.table("contacts")
    return rows.assign(ref=rows["CONTACT_ID"], date=rows["RECEIVED_ON"], until=_open(rows))


def _worker_change(ctx: Context) -> pd.DataFrame:
    """An allocation to a different worker that follows another within the same spell."""
    rows = ctx.allocation_spells
    previous = rows.groupby("PERSON_ID", sort=False)["WORKER_ID"].shift(1)
    same_spell = rows["spell_start"].eq(
        rows.groupby("PERSON_ID", sort=False)["spell_start"].shift(1)
    )
    change = same_spell & previous.notna() & rows["WORKER_ID"].ne(previous)
    rows = rows[change.to_numpy(dtype=bool)]
    ref = rows["ALLOCATION_ID"].fillna(
        rows["WORKER_ID"] + "@" + rows["START_DATE"].dt.strftime("%Y-%m-%d")
    )
    return rows.assign(ref=ref, date=rows["START_DATE"], until=rows["spell_end"])


EVENTS: dict[str, EventKind] = {
    "placement_start": EventKind("placements", "Placement started", _placement_start, until_age=18),
    "missing_return": EventKind("missing_episodes", "Returned from missing", _missing_return),
    "contact": EventKind("contacts", "Contact received", _contact),
    "worker_change": EventKind(
        "allocations", "New worker allocated", _worker_change, left="the case closed"
    ),
}


class Lasted(NamedTuple):
    """How long records lasted against a limit, row by row (see `lasted`)."""

    due: pd.Series  # the day each reaches its limit
    ended: pd.Series  # the day it ended as of the as-of date; NaT while open
    over: pd.Series  # it ran past its limit (an open one counted up to the as-of date)


def lasted(ctx: Context, start: pd.Series, end: pd.Series, limit: Duration) -> Lasted:
    """Whether each spell from `start` to `end` lasted more than `limit`, compared by day.

    One with no end, or ending after the as-of date, is still open as of it and counts up to it:
    it is over its limit once the as-of date is past the day the limit falls on. Shared by
    `event: {lasted_more_than}` (which events count) and records' `end`/`lasted_more_than`.
    """
    due = ctx.calendar.add(start.dt.normalize(), limit)
    ended = end.where(end < ctx.end_of_today)
    until = ended.fillna(ctx.today).dt.normalize()
    over = (until > due).astype(bool)
    return Lasted(due=due, ended=ended, over=over)


class EventSpec(Strict):
    """An event read from any table: a row dated by `date`, optionally only those that lasted
    more than a time (from `date` to `end`; an open one, with no end, up to the as-of date)."""

    table: str
    date: str
    end: str | None = None
    lasted_more_than: Duration | None = None
    label: str | None = None  # words before the date in messages; default "<row> of"


def problems(spec: EventSpec) -> list[tuple[tuple[str, ...], str, str]]:
    """What an event spec names that does not exist: (where in the spec, what, fix)."""
    if spec.table not in TABLES:
        return [(("table",), f'unknown table "{spec.table}"', f"Use one of {', '.join(TABLES)}.")]
    table = TABLES[spec.table]
    dates = [c.name for c in table.columns if c.kind is Kind.DATE]
    out: list[tuple[tuple[str, ...], str, str]] = [
        (
            (key,),
            f'"{column}" is not a date column of {spec.table}',
            f"Use one of {', '.join(dates)}.",
        )
        for key, column in (("date", spec.date), ("end", spec.end))
        if column is not None and column not in dates
    ]
    if spec.lasted_more_than is not None and spec.end is None:
        out.append(
            (("lasted_more_than",), "lasted_more_than needs an end column", "Add end: COLUMN.")
        )
    return out


def event_kind(event: str | EventSpec) -> EventKind:
    """The event a check names: one of EVENTS, or one read from any table."""
    if isinstance(event, str):
        return EVENTS[event]
    spec = event
    label = spec.label or f"{TABLES[spec.table].row_is.capitalize()} of"

    def build(ctx: Context) -> pd.DataFrame:
        rows = ctx.table(spec.table)
        key = TABLES[spec.table].key
        ref = rows[key] if key else rows["PERSON_ID"] + "@" + rows[spec.date].astype(str)
        rows = rows.assign(ref=ref, date=rows[spec.date], until=_open(rows))
        if spec.lasted_more_than is not None and spec.end is not None:
            over = lasted(ctx, rows["date"], rows[spec.end], spec.lasted_more_than).over
            rows = rows[over.to_numpy()]
        return rows

    return EventKind(spec.table, label, build)
