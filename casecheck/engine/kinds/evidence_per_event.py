"""evidence_per_event: each event (a placement start, a return, ...) needs evidence near it."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from casecheck.calendar import Duration
from casecheck.engine.context import Context, member
from casecheck.engine.events import EVENTS
from casecheck.engine.kinds.common import (
    CheckKind,
    CheckResult,
    EvidenceUse,
    Problem,
    ScopeFrame,
    choose,
    days_between,
    end_of,
    evidence_explained,
    evidence_words,
    fill,
    fmt_when,
    in_scope,
    nearest,
    select_evidence,
    use_of,
    where,
    where_words,
    words,
)
from casecheck.engine.language import Evidence, Strict, Window


class EvidencePerEvent(Strict):
    """Each event (a placement start, a return from missing, ...) needs evidence in a window."""

    kind: Literal["evidence_per_event"]
    event: str
    where: dict[str, list[str]] = Field(default_factory=dict)  # only events with these values
    lookback: Duration
    evidence: Evidence
    window: Window


TEMPLATES = {
    "missing": "{event} {date}; no {evidence} by {due} ({after})",
    "elsewhere": "{event} {date}; no {evidence} by {due} ({after}); found only {found}",
    "looked_for": "{evidence}, from {before} before to {after} after",
}


def tables(check: EvidencePerEvent) -> list[str]:
    table = EVENTS[check.event].table
    # A `where` on a column the export lacks would match no event: not run, not compliant.
    return [table, *(f"{table}.{c}" for c in check.where)]


def evidence(check: EvidencePerEvent) -> list[EvidenceUse]:
    return [use_of(check.evidence)]


def references(check: EvidencePerEvent) -> list[Problem]:
    if check.event not in EVENTS:
        return [
            Problem(
                ("event",), f'unknown event "{check.event}"', f"Use one of {', '.join(EVENTS)}."
            )
        ]
    return []


def evaluate(check: EvidencePerEvent, ctx: Context, scope: ScopeFrame) -> CheckResult:
    kind = EVENTS[check.event]
    events = where(kind.build(ctx), check.where)
    start = ctx.before(check.lookback)
    events = events[
        (events["date"] >= start)
        & (events["date"] < ctx.end_of_today)
        & member(events["PERSON_ID"], in_scope(scope))
    ].copy()
    events["key"] = events["PERSON_ID"] + "\x1f" + events["ref"]
    events = events.drop_duplicates("key")
    events["lo"] = ctx.calendar.subtract(events["date"], check.window.before).dt.normalize()
    events["due"] = ctx.calendar.add(events["date"], check.window.after)
    events["deadline"] = end_of(events["due"], check.window.after)
    counted, others = select_evidence(ctx, check.evidence)
    pairs = events[["key", "PERSON_ID", "lo", "deadline"]].merge(
        counted[["PERSON_ID", "date"]], on="PERSON_ID"
    )
    inside = (pairs["date"] >= pairs["lo"]) & (pairs["date"] < pairs["deadline"])
    met = pd.Index(pairs.loc[inside.to_numpy(), "key"].unique())
    open_ = events[~events["key"].isin(met)]
    pending = (open_["deadline"] > ctx.today).to_numpy()
    fields = {
        "event": kind.label,
        "evidence": words(check.evidence.kind),
        "after": str(check.window.after),
    }

    soon = open_[pending]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon["PERSON_ID"],
            "event_ref": soon["ref"],
            "due_date": soon["due"],
            "message": fill(
                TEMPLATES["missing"],
                soon.index,
                date=fmt_when(soon["date"], check.window.after),
                due=fmt_when(soon["due"], check.window.after),
                **fields,
            ),
        }
    )
    late = open_[~pending]
    candidates = pd.concat(
        [counted.assign(why_not="outside the window"), others], ignore_index=True
    )
    late = late.merge(nearest(late, candidates, check.evidence.kind), on="key", how="left")
    both = {
        "date": fmt_when(late["date"], check.window.after),
        "due": fmt_when(late["due"], check.window.after),
        "found": late["found"].fillna(""),
        **fields,
    }
    message = choose(
        late["why_not"].fillna("") == "not in Documents",
        fill(TEMPLATES["elsewhere"], late.index, **both),
        fill(TEMPLATES["missing"], late.index, **both),
    )
    findings = pd.DataFrame(
        {
            "PERSON_ID": late["PERSON_ID"],
            "event_ref": late["ref"],
            "event_date": late["date"],
            "due_date": late["due"],
            "days_overdue": days_between(late["due"], ctx.today),
            "message": message,
            "looked_for": TEMPLATES["looked_for"].format(
                evidence=evidence_words(check.evidence),
                before=check.window.before,
                after=check.window.after,
            ),
            "nearest": late["nearest"].fillna(""),
        }
    )
    return CheckResult(
        in_scope=pd.Index(events["PERSON_ID"].unique()), findings=findings, due_soon=due_soon
    )


def explain(check: EvidencePerEvent) -> str:
    event = EVENTS[check.event].label.lower()
    return (
        f"For each event '{event}' in the last {check.lookback}{where_words(check.where)}: "
        f"{evidence_explained(check.evidence)}, dated from {check.window.before} before the "
        f"event to {check.window.after} after it. One exception per event without it once that "
        "time has passed; until then it is due soon."
    )


KIND = CheckKind(
    model=EvidencePerEvent,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    evidence=evidence,
    references=references,
    templates=TEMPLATES,
)
