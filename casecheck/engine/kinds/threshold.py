"""threshold: N or more placements, workers or missing episodes in the period to the as-of date."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from casecheck.calendar import Duration
from casecheck.engine.context import Context, fmt_dates, member
from casecheck.engine.kinds.common import (
    DUE_BASE,
    CheckKind,
    CheckResult,
    ScopeFrame,
    WhereUse,
    columns_needed,
    days_between,
    empty,
    fill,
    in_scope,
    where,
    where_words,
)
from casecheck.engine.language import Strict, Where
from casecheck.lazy import pd

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
    where: Where = Field(default_factory=dict)  # only rows matching (a placement type, ...)
    # "in any `period`" within the look-back (by start dates), rather than the period to the
    # as-of date: 3 placements starting within any 12 months of the last 24.
    any_window: bool = False
    lookback: Duration | None = None  # with any_window: how far back the windows may lie

    @model_validator(mode="after")
    def _lookback(self) -> Threshold:
        if self.any_window and self.lookback is None:
            raise ValueError("any_window needs a lookback (how far back the windows may lie)")
        if self.lookback is not None and not self.any_window:
            raise ValueError("lookback goes with any_window: true")
        return self


TEMPLATES = {
    "exception": "{count} {noun} in the {period} to {today} ({at_least} or more calls for review)",
    "rolling": (
        "{at_least} {noun} within {period}, from {first} to {reached} ({at_least} or more "
        "calls for review)"
    ),
    "looked_for": "fewer than {at_least} {noun} in {period}",
}


def wheres(check: Threshold) -> list[WhereUse]:
    return [(("where",), COUNTS[check.count][0], check.where)]


def tables(check: Threshold) -> list[str]:
    table = COUNTS[check.count][0]
    return [table, *(f"{table}.{c}" for c in columns_needed(check.where))]


def _rolling(check: Threshold, ctx: Context, rows: pd.DataFrame) -> CheckResult:
    """`at_least` starts within `period` of each other, at any time in the look-back."""
    assert check.lookback is not None
    _, start_col, _, noun = COUNTS[check.count]
    lookback = ctx.before(check.lookback)
    rows = rows[(rows[start_col] >= lookback) & (rows[start_col] < ctx.end_of_today)]
    if check.count == "workers":
        rows = rows.sort_values(["PERSON_ID", start_col], kind="stable")
        rows = rows.drop_duplicates(["PERSON_ID", "WORKER_ID"])
    rows = rows.sort_values(["PERSON_ID", start_col], kind="stable")
    back = check.at_least - 1
    first = rows.groupby("PERSON_ID", sort=False)[start_col].shift(back)
    window_start = ctx.calendar.subtract(rows[start_col].dt.normalize(), check.period)
    hit = first.notna() & (first.dt.normalize() > window_start)
    hits = rows.assign(_first=first)[hit.to_numpy()].drop_duplicates("PERSON_ID")
    reached = hits[start_col]
    findings = pd.DataFrame(
        {
            "PERSON_ID": hits["PERSON_ID"].to_numpy(),
            "event_ref": f"{check.count}-any-{check.period}",
            "event_date": reached.to_numpy(),
            "due_date": reached.dt.normalize().to_numpy(),
            "days_overdue": days_between(reached, ctx.today).to_numpy(),
            "message": fill(
                TEMPLATES["rolling"],
                hits.index,
                noun=noun,
                period=str(check.period),
                at_least=str(check.at_least),
                first=fmt_dates(hits["_first"]),
                reached=fmt_dates(reached),
            ).to_numpy(),
            "looked_for": TEMPLATES["looked_for"].format(
                at_least=check.at_least, noun=noun, period=f"any {check.period}"
            ),
            "nearest": "",
        }
    )
    return CheckResult(
        in_scope=pd.Index(rows["PERSON_ID"].unique()), findings=findings, due_soon=empty(DUE_BASE)
    )


def evaluate(check: Threshold, ctx: Context, scope: ScopeFrame) -> CheckResult:
    table, start_col, end_col, noun = COUNTS[check.count]
    rows = ctx.table(table)
    rows = where(rows[member(rows["PERSON_ID"], in_scope(scope))], check.where, ctx.calendar)
    if check.any_window:
        return _rolling(check, ctx, rows)
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
    noun = COUNTS[check.count][3] + where_words(check.where)
    if check.any_window:
        return (
            f"An exception when a child has had {check.at_least} or more {noun}, starting within "
            f"any {check.period} of the last {check.lookback}."
        )
    return (
        f"An exception when a child has had {check.at_least} or more {noun} in the "
        f"{check.period} to the as-of date."
    )


KIND = CheckKind(
    model=Threshold,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    wheres=wheres,
    templates=TEMPLATES,
)
