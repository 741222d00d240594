"""share: the share of a child's records in the period that match `where` is above a limit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from casecheck.calendar import Duration
from casecheck.engine.context import Context, member
from casecheck.engine.kinds.common import (
    DUE_BASE,
    CheckKind,
    CheckResult,
    Problem,
    ScopeFrame,
    WhereUse,
    columns_needed,
    condition_words,
    empty,
    fill,
    holds,
    in_scope,
    not_dates,
    where,
    where_words,
)
from casecheck.engine.language import Strict, Where
from casecheck.export.schema import TABLES
from casecheck.lazy import pd


class Share(Strict):
    """The share of a child's records in the period that match `where` is above a limit."""

    kind: Literal["share"]
    table: str
    date: str
    period: Duration
    where: Where
    # Only rows matching `among` count at all (the total): "of CP visits with the child seen,
    # the share where the child was not seen alone".
    among: Where = Field(default_factory=dict)
    more_than: float = Field(ge=0, le=1)
    min_records: int = Field(default=1, ge=1)
    what: str  # "visits by telephone"


TEMPLATES = {
    "exception": "{what}: {matched} of {total} in the {period} to {today}",
    "looked_for": "at most {share} {what} in {period}",
}


def tables(check: Share) -> list[str]:
    columns = [check.date, *columns_needed(check.where), *columns_needed(check.among)]
    return [f"{check.table}.{c}" for c in columns]


def wheres(check: Share) -> list[WhereUse]:
    return [(("where",), check.table, check.where)] if check.table in TABLES else []


def references(check: Share) -> list[Problem]:
    if check.table not in TABLES:
        return [
            Problem(
                ("table",), f'unknown table "{check.table}"', f"Use one of {', '.join(TABLES)}."
            )
        ]
    columns = {c.name for c in TABLES[check.table].columns}
    named = [(("date",), check.date), *((("among", c), c) for c in check.among)]
    return [
        Problem(
            loc,
            f'"{column}" is not a column of {check.table}',
            f"Use one of {', '.join(sorted(columns))}.",
        )
        for loc, column in named
        if column not in columns
    ] + not_dates(check.table, [(("date",), check.date)])


def evaluate(check: Share, ctx: Context, scope: ScopeFrame) -> CheckResult:
    rows = ctx.table(check.table)
    rows = rows[member(rows["PERSON_ID"], in_scope(scope))]
    start = ctx.before(check.period)
    rows = rows[(rows[check.date] >= start) & (rows[check.date] < ctx.end_of_today)]
    rows = where(rows, check.among)
    match = pd.Series(True, index=rows.index)
    for column, condition in check.where.items():
        match &= holds(rows, column, condition, ctx.calendar)
    grouped = match.groupby(rows["PERSON_ID"])
    total = grouped.size()
    matched = grouped.sum().astype(int)
    over = (total >= check.min_records) & (matched / total > check.more_than)
    ids = total.index[over.to_numpy()]
    message = fill(
        TEMPLATES["exception"],
        ids,
        what=check.what,
        matched=matched[ids].astype(str),
        total=total[ids].astype(str),
        period=str(check.period),
        today=ctx.today.strftime("%d/%m/%Y"),
    )
    today = pd.Series(ctx.today, index=ids)
    findings = pd.DataFrame(
        {
            "PERSON_ID": ids,
            "event_ref": f"share-{check.period}",
            "event_date": today.to_numpy(),
            "due_date": today.to_numpy(),
            "days_overdue": 0,
            "message": message.to_numpy(),
            "looked_for": TEMPLATES["looked_for"].format(
                share=f"{check.more_than:.0%}", what=check.what.lower(), period=check.period
            ),
            "nearest": "",
        }
    )
    return CheckResult(in_scope=pd.Index(total.index), findings=findings, due_soon=empty(DUE_BASE))


def explain(check: Share) -> str:
    where = " and ".join(condition_words(c, v) for c, v in check.where.items())
    return (
        f"Of each child's {check.table} ({check.date}){where_words(check.among)} in the last "
        f"{check.period}, an "
        f"exception when more than {check.more_than:.0%} have {where} "
        f"(with at least {check.min_records})."
    )


KIND = CheckKind(
    model=Share,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    references=references,
    wheres=wheres,
    templates=TEMPLATES,
)
