"""Statuses (looked after, on a CP or CIN plan): periods from any table, as scopes and clocks.

A status is the rows of a table with a start and an end (`status: {table, start, end, where}`),
or one of the named shorthands in STATUSES. A child has the status while one of its rows covers
the as-of date. Rows join into spells as allocations and placements do (overlapping, or the next
starting by `handover_working_days` after the previous ends), so a plan ended on a Friday and a
new one started on the Monday is one continuous status with two plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from casecheck.engine.context import Context, spells
from casecheck.engine.events import EventKind
from casecheck.engine.kinds.common import Problem, columns_needed, where, where_words
from casecheck.engine.language import Strict, Where
from casecheck.export.schema import TABLES, Kind
from casecheck.lazy import pd


class StatusSpec(Strict):
    """A status read from any table: the child has it while one of its rows covers the date."""

    table: str
    start: str = "START_DATE"
    end: str = "END_DATE"
    where: Where = Field(default_factory=dict)  # only rows with these values


@dataclass(frozen=True)
class Status:
    """A named status: its rows, and its words (in scope; a row; a spell; its start as an event)."""

    spec: StatusSpec
    words: str  # "looked after (an open placement)"
    row: str  # "the current placement": a clock `since: current` starts when it started
    spell: str  # "the current period of care": a clock `since: period` starts when it began
    began: str = ""  # "Became looked after": an event `{started: ...}` in messages
    left: str = ""  # "left care": how a spell ends, for deadlines after it
    until_age: int | None = None  # the age the status ends at (children's services: 18)


STATUSES: dict[str, Status] = {
    "looked_after": Status(
        StatusSpec(table="placements"),
        "looked after (an open placement)",
        "the current placement",
        "the current period of care",
        "Became looked after",
        "left care",
        18,
    ),
    "on_cp_plan": Status(
        StatusSpec(table="cp_plans"),
        "on a child-protection plan",
        "the current child-protection plan",
        "the current period on a child-protection plan",
        "Child-protection plan started",
        "the plan ended",
        18,
    ),
    "on_cin_plan": Status(
        StatusSpec(table="cin_plans"),
        "on a child-in-need plan",
        "the current child-in-need plan",
        "the current period on a child-in-need plan",
        "Child-in-need plan started",
        "the plan ended",
        18,
    ),
}

StatusRef = str | StatusSpec  # a name in STATUSES, or {table, start, end, where}


def status_of(ref: StatusRef) -> Status:
    """The status a rule names: one of STATUSES, or one read from any table."""
    if isinstance(ref, str):
        return STATUSES[ref]
    row = TABLES[ref.table].row_is
    extra = where_words(ref.where)
    return Status(
        ref,
        f"with an open {row} ({ref.table} from {ref.start} to {ref.end}{extra})",
        f"the current {row}",
        f"the current run of {ref.table} rows",
        f"{row.capitalize()} started",
        "it ended",
    )


def problems(ref: StatusRef) -> list[Problem]:
    """What a status names that does not exist, relative to where the status is written."""
    if isinstance(ref, str):
        if ref not in STATUSES:
            return [Problem((), f'unknown status "{ref}"', f"Use one of {', '.join(STATUSES)}.")]
        return []
    if ref.table not in TABLES:
        return [
            Problem(("table",), f'unknown table "{ref.table}"', f"Use one of {', '.join(TABLES)}.")
        ]
    table = TABLES[ref.table]
    dates = [c.name for c in table.columns if c.kind is Kind.DATE]
    columns = {c.name for c in table.columns}
    out = [
        Problem(
            (key,),
            f'"{column}" is not a date column of {ref.table}',
            f"Use one of {', '.join(dates)}.",
        )
        for key, column in (("start", ref.start), ("end", ref.end))
        if column not in dates
    ]
    out += [
        Problem(
            ("where", column),
            f'"{column}" is not a column of {ref.table}',
            f"Use one of {', '.join(sorted(columns))}.",
        )
        for column in ref.where
        if column not in columns
    ]
    return out


def needs(ref: StatusRef) -> list[str]:
    """The tables and `table.COLUMN`s a status reads."""
    spec = status_of(ref).spec
    return [spec.table, f"{spec.table}.{spec.start}", f"{spec.table}.{spec.end}"] + [
        f"{spec.table}.{c}" for c in columns_needed(spec.where)
    ]


def current(ctx: Context, ref: StatusRef) -> pd.DataFrame:
    """Each child holding the status at the as-of date (index PERSON_ID): `start` (when the
    row covering the date started: the latest, if several) and `spell_start` (when the unbroken
    run of rows it belongs to began)."""
    spec = status_of(ref).spec
    if ref == "looked_after":  # the frame every looked-after rule shares, derived once
        now = ctx.current_placement
    else:
        joined = spells_of(ctx, ref)
        open_now = joined[spec.end].isna() | (joined[spec.end] >= ctx.today)
        now = joined[open_now].sort_values(["PERSON_ID", spec.start], kind="stable")
        now = now.drop_duplicates("PERSON_ID", keep="last").set_index("PERSON_ID")
    return pd.DataFrame({"start": now[spec.start], "spell_start": now["spell_start"]})


def spells_of(ctx: Context, ref: StatusRef) -> pd.DataFrame:
    """The status's rows up to the as-of date, joined into spells (`spell_start`, `spell_end`)."""
    spec = status_of(ref).spec
    if ref == "looked_after":  # the frame every looked-after rule shares, derived once
        return ctx.placement_spells
    rows = where(ctx.table(spec.table), spec.where)
    rows = rows[rows[spec.start] < ctx.end_of_today]
    key = TABLES[spec.table].key
    return spells(rows, spec.start, spec.end, ties=(key,) if key else (), handover=ctx.handover)


class StatusStart(Strict):
    """An event: each time a child came into a status (a period of care, a run of CP plans
    joined across handovers, began). `event: {started: on_cp_plan}`."""

    started: StatusRef
    label: str | None = None  # words before the date in messages; default the status's


def start_event(event: StatusStart) -> EventKind:
    """The starts of a status's spells as events: `until` is when the spell ended."""
    status = status_of(event.started)
    spec = status.spec
    key = TABLES[spec.table].key if spec.table in TABLES else None

    def build(ctx: Context) -> pd.DataFrame:
        rows = spells_of(ctx, event.started)
        first = rows[rows[spec.start] == rows["spell_start"]]
        first = first.drop_duplicates(["PERSON_ID", "spell_start"])
        ref = first[key] if key else first["PERSON_ID"] + "@" + first[spec.start].astype(str)
        return first.assign(ref=ref, date=first["spell_start"], until=first["spell_end"])

    return EventKind(
        spec.table,
        event.label or status.began,
        build,
        until_age=status.until_age,
        left=status.left,
    )
