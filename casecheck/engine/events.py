"""Per-event triggers: each placement start, return from missing, contact or change of worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from casecheck.engine.context import Context

# Each builder returns the source table's rows (so rules can filter on its columns) with `ref`
# (the event's id) and `date` (when it happened) added.


@dataclass(frozen=True)
class EventKind:
    """An event a per-event rule checks: where it comes from and how a message names it."""

    table: str
    label: str  # "Placement started": followed by the date in messages
    build: Callable[[Context], pd.DataFrame]


def _placement_start(ctx: Context) -> pd.DataFrame:
    rows = ctx.table("placements")
    return rows.assign(ref=rows["PLACEMENT_ID"], date=rows["START_DATE"])


def _missing_return(ctx: Context) -> pd.DataFrame:
    rows = ctx.table("missing_episodes")
    rows = rows[rows["END_DATE"].notna()]
    return rows.assign(ref=rows["MISSING_EPISODE_ID"], date=rows["END_DATE"])


def _contact(ctx: Context) -> pd.DataFrame:
    rows = ctx.table("contacts")
    return rows.assign(ref=rows["CONTACT_ID"], date=rows["RECEIVED_ON"])


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
    return rows.assign(ref=ref, date=rows["START_DATE"])


EVENTS: dict[str, EventKind] = {
    "placement_start": EventKind("placements", "Placement started", _placement_start),
    "missing_return": EventKind("missing_episodes", "Returned from missing", _missing_return),
    "contact": EventKind("contacts", "Contact received", _contact),
    "worker_change": EventKind("allocations", "New worker allocated", _worker_change),
}
