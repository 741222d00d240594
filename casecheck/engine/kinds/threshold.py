"""threshold: N or more placements, workers or missing episodes in the period to the as-of date."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from casecheck.calendar import Duration
from casecheck.engine.context import Context, member
from casecheck.engine.kinds.common import (
    DUE_BASE,
    CheckKind,
    CheckResult,
    ScopeFrame,
    days_between,
    empty,
    fill,
    in_scope,
)
from casecheck.engine.language import Strict

COUNTS: dict[str, tuple[str, str, str, str]] = {
    # count name: (table, start column, end column or "", what is counted)
    "placements": ("placements", "START_DATE", "END_DATE", "placements"),
    "workers": ("allocations", "START_DATE", "END_DATE", "allocated workers"),
    "missing_episodes": ("missing_episodes", "START_DATE", "", "missing episodes"),
}


class Threshold(Strict):
    """N or more events in the period to the as-of date (placement moves, changes of worker)."""

    kind: Literal["threshold"]
    count: Literal["placements", "workers", "missing_episodes"]
    period: Duration
    at_least: int = Field(ge=1)


TEMPLATES = {
    "exception": "{count} {noun} in the {period} to {today} ({at_least} or more calls for review)",
    "looked_for": "fewer than {at_least} {noun} in {period}",
}


def tables(check: Threshold) -> list[str]:
    return [COUNTS[check.count][0]]


def evaluate(check: Threshold, ctx: Context, scope: ScopeFrame) -> CheckResult:
    table, start_col, end_col, noun = COUNTS[check.count]
    rows = ctx.table(table)
    rows = rows[member(rows["PERSON_ID"], in_scope(scope))]
    start = ctx.before(check.period)
    if end_col:
        overlap = (rows[start_col] < ctx.end_of_today) & (
            rows[end_col].isna() | (rows[end_col] >= start)
        )
    else:
        overlap = (rows[start_col] >= start) & (rows[start_col] < ctx.end_of_today)
    rows = rows[overlap.to_numpy()].sort_values(["PERSON_ID", start_col], kind="stable")
    if check.count == "workers":
        rows = rows.drop_duplicates(["PERSON_ID", "WORKER_ID"])
    count = rows.groupby("PERSON_ID").size()
    over = count[count >= check.at_least]
    nth = rows.groupby("PERSON_ID").nth(check.at_least - 1).set_index("PERSON_ID")[start_col]
    reached = nth.reindex(over.index)
    reached = reached.where(reached >= start, start)
    ids = over.index
    fields = {"noun": noun, "period": str(check.period), "at_least": str(check.at_least)}
    findings = pd.DataFrame(
        {
            "PERSON_ID": ids,
            "event_ref": f"{check.count}-{check.period}",
            "event_date": reached.to_numpy(),
            "due_date": reached.to_numpy(),
            "days_overdue": days_between(reached, ctx.today).to_numpy(),
            "message": fill(
                TEMPLATES["exception"],
                over.index,
                count=over.astype(str),
                today=ctx.today.strftime("%d/%m/%Y"),
                **fields,
            ).to_numpy(),
            "looked_for": TEMPLATES["looked_for"].format(**fields),
            "nearest": "",
        }
    )
    return CheckResult(
        in_scope=pd.Index(rows["PERSON_ID"].unique()), findings=findings, due_soon=empty(DUE_BASE)
    )


def explain(check: Threshold) -> str:
    return (
        f"An exception when a child has had {check.at_least} or more {COUNTS[check.count][3]} "
        f"in the {check.period} to the as-of date."
    )


KIND = CheckKind(
    model=Threshold, evaluate=evaluate, words=explain, tables=tables, templates=TEMPLATES
)
