"""records: each row of a table is recorded on time and/or has the fields it needs filled in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from casecheck.calendar import Duration, Unit
from casecheck.engine.context import EVIDENCE_SOURCES, Context, member
from casecheck.engine.events import lasted
from casecheck.engine.kinds.common import (
    CheckKind,
    CheckResult,
    EvidenceUse,
    Problem,
    ScopeFrame,
    WhereUse,
    columns_needed,
    days_between,
    end_of,
    fill,
    fmt_when,
    has_time,
    in_scope,
    meets,
    not_dates,
    unmet_words,
    wanted_words,
    where,
    where_words,
    words,
)
from casecheck.engine.language import Requirement, Strict, Where
from casecheck.export.schema import TABLES
from casecheck.lazy import pd


class Records(Strict):
    """Each record of a table in the look-back: recorded on time, and/or with fields filled in."""

    kind: Literal["records"]
    table: str
    date: str  # the column holding when the event happened
    lookback: Duration
    evidence: str | None = None  # only records that count as this evidence kind
    where: Where = Field(default_factory=dict)  # only rows with these values
    recorded: str | None = None  # the column holding when it was recorded or done
    within: Duration | None = None
    require: dict[str, Requirement] = Field(default_factory=dict)
    # The record lasted no more than this from `date` to `end` (blank: still open, counted up
    # to the as-of date): "a temporary placement lasts at most 6 weeks".
    end: str | None = None
    lasted_more_than: Duration | None = None
    # A row late or over its limit is not an exception when these fields are set: "an
    # assessment past 45 working days has a recorded reason" (unless: {DELAY_REASON: recorded}).
    unless: dict[str, Requirement] = Field(default_factory=dict)
    what: str  # the record, in words, followed by its date in messages: "Case note of"
    recorded_what: str = "recorded"  # what `recorded` holds: "decision", "return home interview"

    @model_validator(mode="after")
    def _something(self) -> Records:
        if (self.recorded is None) != (self.within is None):
            raise ValueError("recorded and within go together")
        if (self.end is None) != (self.lasted_more_than is None):
            raise ValueError("end and lasted_more_than go together")
        if self.recorded is not None and self.end is not None:
            raise ValueError(
                "recorded/within and end/lasted_more_than are two checks: give each its own"
            )
        if self.recorded is None and self.end is None and not self.require:
            raise ValueError(
                "a records check needs recorded/within, or end/lasted_more_than, or require"
            )
        if self.unless and self.recorded is None and self.end is None:
            raise ValueError(
                "unless excuses a late record: it needs recorded/within or end/lasted_more_than"
            )
        return self


TEMPLATES = {
    "exception": "{what} {date}: {problems}",
    "late": "{recorded_what} on {recorded}, after the limit of {due} ({within})",
    "missing": "no {recorded_what} by {due} ({within})",
    "ended": "ended {ended}, after the limit of {due} ({limit})",
    "still_open": "still open on {today}, past the limit of {due} ({limit})",
    "due_soon": "{what} {date}: {recorded_what} due by {due}",
    "due_soon_lasted": "{what} {date}: reaches its limit ({limit}) on {due}",
    "looked_for_within": "{recorded_what} within {within} of {date}",
    "looked_for_lasted": "{end} no more than {limit} after {date}",
}


def _columns(check: Records) -> list[tuple[tuple[str | int, ...], str]]:
    """Each column the check names, with where in the check it is named."""
    named: list[tuple[tuple[str | int, ...], str]] = [(("date",), check.date)]
    named += [(("recorded",), check.recorded or check.date)]
    named += [(("end",), check.end or check.date)]
    named += [(("require", c), c) for c in check.require]
    named += [(("unless", c), c) for c in check.unless]
    return named


def wheres(check: Records) -> list[WhereUse]:
    return [(("where",), check.table, check.where)] if check.table in TABLES else []


def tables(check: Records) -> list[str]:
    columns = [
        check.date,
        *([check.recorded] if check.recorded else []),
        *([check.end] if check.end else []),
        *check.require,
        *check.unless,
        *columns_needed(check.where),
    ]
    return [f"{check.table}.{c}" for c in columns]


def evidence(check: Records) -> list[EvidenceUse]:
    if check.evidence is None:
        return []
    return [EvidenceUse(check.evidence, kind_loc=("evidence",))]


def references(check: Records) -> list[Problem]:
    if check.table not in TABLES:
        return [
            Problem(
                ("table",), f'unknown table "{check.table}"', f"Use one of {', '.join(TABLES)}."
            )
        ]
    columns = {c.name for c in TABLES[check.table].columns}
    problems = []
    if check.evidence is not None and check.table not in EVIDENCE_SOURCES:
        problems.append(
            Problem(
                ("evidence",),
                f"{check.table} rows are not evidence of a kind",
                f"Use evidence: only with {', '.join(EVIDENCE_SOURCES)}, "
                "or filter the rows with where:.",
            )
        )
    problems += [
        Problem(
            loc,
            f'"{column}" is not a column of {check.table}',
            f"Use one of {', '.join(sorted(columns))}.",
        )
        for loc, column in _columns(check)
        if column not in columns
    ]
    dated = [(("date",), check.date), (("recorded",), check.recorded), (("end",), check.end)]
    return problems + not_dates(check.table, [(loc, c) for loc, c in dated if c is not None])


def _read(check: Records, key: str) -> list[str]:
    """The columns of the table the check reads (the rows it keeps are copied, these only)."""
    compared = [c for condition in check.where.values() for c in condition.columns_compared]
    named = ["PERSON_ID", key, *(column for _, column in _columns(check)), *check.where, *compared]
    return list(dict.fromkeys(named))


def evaluate(check: Records, ctx: Context, scope: ScopeFrame) -> CheckResult:
    # Only rows on the file as of the as-of date (never a DRAFT note, nor one written later),
    # of children in scope, dated in the look-back: one mask over the table, then one copy.
    table = ctx.table(check.table)
    dates = table[check.date]
    keep = ctx.on_file_mask(check.table) & member(table["PERSON_ID"], in_scope(scope)).to_numpy()
    keep &= ((dates >= ctx.before(check.lookback)) & (dates < ctx.end_of_today)).to_numpy(
        dtype=bool, na_value=False
    )
    if check.evidence is not None:
        keep &= ctx.kind_mask(check.table, check.evidence)
    key = TABLES[check.table].key or "PERSON_ID"
    rows = where(table[_read(check, key)][keep], check.where, ctx.calendar)
    date_text = fmt_when(rows[check.date], check.within)
    problems = pd.Series("", index=rows.index, dtype=object)
    due = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    pending = pd.Series(False, index=rows.index)
    if check.recorded is not None and check.within is not None:
        due = ctx.calendar.add(rows[check.date], check.within)
        deadline = end_of(due, check.within)
        # Recorded after the as-of date is not recorded yet as of it (as evidence is not seen).
        recorded = rows[check.recorded].where(rows[check.recorded] < ctx.end_of_today)
        if check.within.unit is Unit.HOURS:
            # A date with no time is a whole day, never midnight: when either date has no time,
            # the limit is the whole day the hours end on (a return on 03/11 and an interview on
            # 06/11 at any time are within 72 hours).
            whole = ~has_time(rows[check.date]) | (recorded.notna() & ~has_time(recorded))
            day = ctx.calendar.add(rows[check.date].dt.normalize(), check.within).dt.normalize()
            due = due.where(~whole, day)
            deadline = deadline.where(~whole, day + pd.Timedelta(days=1))
        late = recorded.notna() & (recorded >= deadline)
        missing = recorded.isna() & (deadline <= ctx.today)
        pending = recorded.isna() & (deadline > ctx.today)
        fields = {
            "recorded_what": check.recorded_what,
            "recorded": fmt_when(recorded, check.within),
            "due": fmt_when(due, check.within),
            "within": str(check.within),
        }
        problems = problems.where(~late, fill(TEMPLATES["late"], rows.index, **fields))
        problems = problems.where(~missing, fill(TEMPLATES["missing"], rows.index, **fields))
    if check.end is not None and check.lasted_more_than is not None:
        spell = lasted(ctx, rows[check.date], rows[check.end], check.lasted_more_than)
        due = spell.due
        pending = spell.ended.isna() & ~spell.over
        fields = {
            "ended": fmt_when(spell.ended, check.lasted_more_than),
            "today": ctx.today.strftime("%d/%m/%Y"),
            "due": fmt_when(due, check.lasted_more_than),
            "limit": str(check.lasted_more_than),
        }
        ended_over = spell.over & spell.ended.notna()
        open_over = spell.over & spell.ended.isna()
        problems = problems.where(~ended_over, fill(TEMPLATES["ended"], rows.index, **fields))
        problems = problems.where(~open_over, fill(TEMPLATES["still_open"], rows.index, **fields))
    if check.unless:
        excused = pd.Series(True, index=rows.index)
        for name, requirement in check.unless.items():
            excused &= meets(rows[name], requirement)
        unexcused = problems.where(~excused, "")
        for name, requirement in check.unless.items():
            # Each field that would have excused it, in words (never the field's value).
            lacking = (unexcused != "") & ~meets(rows[name], requirement)
            unexcused = unexcused.where(~lacking, unexcused + "; " + unmet_words(name, requirement))
        problems = unexcused
    for name, requirement in check.require.items():
        bad = ~meets(rows[name], requirement)
        text = unmet_words(name, requirement)
        problems = problems.where(~bad, problems.where(problems == "", problems + "; ") + text)
    failed = (problems != "").to_numpy()
    found = rows[failed]
    finding_due = due[failed].fillna(found[check.date]).astype("datetime64[ns]")
    findings = pd.DataFrame(
        {
            "PERSON_ID": found["PERSON_ID"],
            "event_ref": found[key],
            "event_date": found[check.date],
            "due_date": finding_due.dt.normalize(),
            "days_overdue": days_between(finding_due, ctx.today),
            "message": fill(
                TEMPLATES["exception"],
                found.index,
                what=check.what,
                date=date_text[failed],
                problems=problems[failed],
            ),
            "looked_for": looked_for(check),
            "nearest": "",
        }
    )
    soon_rows = rows[pending.to_numpy() & ~failed]
    limit = check.within or check.lasted_more_than
    soon_template = TEMPLATES["due_soon" if check.lasted_more_than is None else "due_soon_lasted"]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon_rows["PERSON_ID"],
            "event_ref": soon_rows[key],
            "due_date": due[soon_rows.index],
            "message": fill(
                soon_template,
                soon_rows.index,
                what=check.what,
                date=date_text[soon_rows.index],
                recorded_what=check.recorded_what,
                limit=str(limit),
                due=fmt_when(due[soon_rows.index], limit),
            ),
        }
    )
    return CheckResult(
        in_scope=pd.Index(rows["PERSON_ID"].unique()), findings=findings, due_soon=due_soon
    )


def looked_for(check: Records) -> str:
    parts = []
    if check.lasted_more_than is not None:
        parts.append(
            TEMPLATES["looked_for_lasted"].format(
                end=check.end, limit=check.lasted_more_than, date=check.date
            )
        )
    if check.within is not None:
        parts.append(
            TEMPLATES["looked_for_within"].format(
                recorded_what=check.recorded_what, within=check.within, date=check.date
            )
        )
    parts.extend(wanted_words(f, r) for f, r in check.require.items())
    parts.extend(f"else {wanted_words(f, r)}" for f, r in check.unless.items())
    return "; ".join(parts)


def explain(check: Records) -> str:
    parts = []
    if check.recorded is not None:
        parts.append(
            f"{check.recorded} ({check.recorded_what}) within {check.within} of {check.date}"
        )
    if check.end is not None:
        parts.append(
            f"to have ended ({check.end}) no more than {check.lasted_more_than} after it "
            f"started ({check.date}); one still open counts up to the as-of date"
        )
    parts.extend(wanted_words(f, r) for f, r in check.require.items())
    unless = "".join(
        f" (or, when it does not, {wanted_words(f, r)})" for f, r in check.unless.items()
    )
    which = f" that count as {words(check.evidence)}" if check.evidence else ""
    return (
        f"Each row of {check.table}{which}{where_words(check.where)} dated ({check.date}) in the "
        f"last {check.lookback} needs "
        + " and ".join(parts)
        + unless
        + ". One exception per row that does not."
    )


KIND = CheckKind(
    model=Records,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    evidence=evidence,
    references=references,
    wheres=wheres,
    templates=TEMPLATES,
)
