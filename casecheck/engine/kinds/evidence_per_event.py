"""evidence_per_event: each event (a placement start, a return, ...) needs evidence near it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr

from casecheck.calendar import Duration
from casecheck.engine import scope as scopes
from casecheck.engine import statuses
from casecheck.engine.context import Context, member, pair_key
from casecheck.engine.events import EVENTS, EventKind, EventSpec, event_kind, problems
from casecheck.engine.evidence_events import EvidenceEvent, evidence_event
from casecheck.engine.kinds.common import (
    CheckKind,
    CheckResult,
    EvidenceUse,
    Problem,
    ScopeFrame,
    WhereUse,
    choose,
    columns_needed,
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
from casecheck.engine.language import Evidence, Strict, Where, Window
from casecheck.lazy import np, pd


class EvidencePerEvent(Strict):
    """Each event (a placement start, a return from missing, ...) needs evidence in a window."""

    kind: Literal["evidence_per_event"]
    # A named event, or {table, date, end, lasted_more_than, label}, or the start of a status
    # ({started: on_cp_plan}), or each piece of evidence of a kind ({evidence: K, label}).
    event: str | EventSpec | statuses.StatusStart | EvidenceEvent
    where: Where = Field(default_factory=dict)  # only events with these values
    lookback: Duration
    evidence: Evidence
    window: Window
    # Each piece of evidence counts for one event only (a placement plan belongs to one
    # placement); without it, one piece in several events' windows counts for each of them.
    distinct: bool = False
    # The rule's scope, set by the rule (engine/model.py): each deadline is checked against it
    # on the day it falls, not only at the as-of date.
    _rule_scope: scopes.Scope | None = PrivateAttr(default=None)

    @property
    def rule_scope(self) -> scopes.Scope | None:
        return self._rule_scope

    def within(self, scope: scopes.Scope | None) -> None:
        """Check each deadline against `scope` (the rule's) on the day it falls."""
        self._rule_scope = scope


TEMPLATES = {
    "missing": "{event} {date}; no {evidence} by {due} ({after})",
    # A window that closes on the event's day: the evidence had to come before it.
    "missing_before": "{event} {date}; no {evidence} in the {before} before it",
    "elsewhere": "{event} {date}; no {evidence} by {due} ({after}); found only {found}",
    "elsewhere_before": "{event} {date}; no {evidence} in the {before} before it; found only "
    "{found}",
    "looked_for": "{evidence}, from {before} before to {after} after",
    "taken": "counted for the {event}",
}


def _event(check: EvidencePerEvent) -> EventKind:
    """The check's event kind, whichever way the rule wrote it."""
    if isinstance(check.event, statuses.StatusStart):
        return statuses.start_event(check.event)
    if isinstance(check.event, EvidenceEvent):
        return evidence_event(check.event)
    return event_kind(check.event)


def tables(check: EvidencePerEvent) -> list[str]:
    if isinstance(check.event, statuses.StatusStart):
        table = statuses.status_of(check.event.started).spec.table
        return [
            *statuses.needs(check.event.started),
            *(f"{table}.{c}" for c in columns_needed(check.where)),
        ]
    if isinstance(check.event, EvidenceEvent):
        return []  # the evidence it reads is named by evidence()
    table = event_kind(check.event).table
    if isinstance(check.event, EventSpec):
        ends = [check.event.end] if check.event.end else []
        return [
            *(f"{table}.{c}" for c in [check.event.date, *ends]),
            *(f"{table}.{c}" for c in columns_needed(check.where)),
        ]
    # A `where` on a column the export lacks would match no event: not run, not compliant.
    return [table, *(f"{table}.{c}" for c in columns_needed(check.where))]


def wheres(check: EvidencePerEvent) -> list[WhereUse]:
    if isinstance(check.event, EvidenceEvent):
        return []  # refused by references(): an event read from evidence has no columns
    if isinstance(check.event, statuses.StatusStart):
        if statuses.problems(check.event.started):
            return []
        return [(("where",), statuses.status_of(check.event.started).spec.table, check.where)]
    table = event_kind(check.event).table if _known(check) else ""
    return [(("where",), table, check.where)] if table else []


def _known(check: EvidencePerEvent) -> bool:
    return not isinstance(check.event, str) or check.event in EVENTS


def evidence(check: EvidencePerEvent) -> list[EvidenceUse]:
    if isinstance(check.event, EvidenceEvent):
        return [
            EvidenceUse(check.event.evidence, kind_loc=("event", "evidence")),
            use_of(check.evidence),
        ]
    return [use_of(check.evidence)]


def references(check: EvidencePerEvent) -> list[Problem]:
    if isinstance(check.event, statuses.StatusStart):
        return [
            Problem(("event", "started", *p.loc), p.what, p.fix)
            for p in statuses.problems(check.event.started)
        ]
    if isinstance(check.event, EvidenceEvent):
        if check.where:
            return [
                Problem(
                    ("where",),
                    "an event read from evidence has no columns to filter on",
                    "Remove where:, or read the event from its table.",
                )
            ]
        return []
    if isinstance(check.event, EventSpec):
        return [Problem(("event", *loc), what, fix) for loc, what, fix in problems(check.event)]
    if check.event not in EVENTS:
        return [
            Problem(
                ("event",), f'unknown event "{check.event}"', f"Use one of {', '.join(EVENTS)}."
            )
        ]
    return []


def evaluate(check: EvidencePerEvent, ctx: Context, scope: ScopeFrame) -> CheckResult:
    kind = _event(check)
    events = where(kind.build(ctx), check.where, ctx.calendar)
    start = ctx.before(check.lookback)
    events = events[
        (events["date"] >= start)
        & (events["date"] < ctx.end_of_today)
        & member(events["PERSON_ID"], in_scope(scope))
    ].copy()
    events["key"] = pair_key(events["PERSON_ID"], events["ref"])
    events = events.drop_duplicates("key")
    events["lo"] = ctx.calendar.subtract(events["date"], check.window.before).dt.normalize()
    events["due"] = ctx.calendar.add(events["date"], check.window.after)
    events["deadline"] = end_of(events["due"], check.window.after)
    # A deadline after the child left the event's spell (left care, the case closed) or reached
    # the age the event stops at (18 for a placement) is not an exception, nor due.
    left = events["until"].notna() & (events["until"].dt.normalize() < events["due"].dt.normalize())
    if kind.until_age is not None:
        born = ctx.persons["DATE_OF_BIRTH"].reindex(events["PERSON_ID"]).to_numpy()
        birthday = pd.Series(born, index=events.index) + pd.DateOffset(years=kind.until_age)
        left |= birthday.notna() & (birthday <= events["due"].dt.normalize())
    # Nor is a deadline on a day the child is out of the rule's scope: a child who leaves it
    # (the case closes, turns the scope's age bound, leaves care) before the deadline.
    left |= ~scopes.holds_at(check.rule_scope, ctx, events["PERSON_ID"], events["due"])
    events = events[~left.to_numpy()]
    counted, others = select_evidence(ctx, check.evidence)
    counted = counted.reset_index(drop=True)
    pieces = pd.DataFrame(
        {
            "PERSON_ID": counted["PERSON_ID"],
            "ev_date": counted["date"],
            "piece": np.arange(len(counted)),
        }
    )
    pairs = events[["key", "PERSON_ID", "lo", "deadline", "date"]].merge(pieces, on="PERSON_ID")
    inside = (pairs["ev_date"] >= pairs["lo"]) & (pairs["ev_date"] < pairs["deadline"])
    pairs = pairs[inside.to_numpy()]
    used = pd.Series(dtype=object)
    if check.distinct:
        pairs = _one_event_per_piece(pairs)
        used = pairs.set_index("piece")["date"]
    met = pd.Index(pairs["key"].unique())
    open_ = events[~events["key"].isin(met)]
    pending = (open_["deadline"] > ctx.today).to_numpy()
    fields = {
        "event": kind.label,
        "evidence": words(check.evidence.kind),
        "after": str(check.window.after),
        "before": str(check.window.before),
    }
    before_only = check.window.after.amount == 0
    missing = TEMPLATES["missing_before" if before_only else "missing"]
    elsewhere = TEMPLATES["elsewhere_before" if before_only else "elsewhere"]

    soon = open_[pending]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon["PERSON_ID"],
            "event_ref": soon["ref"],
            "due_date": soon["due"],
            "message": fill(
                missing,
                soon.index,
                date=fmt_when(soon["date"], check.window.after),
                due=fmt_when(soon["due"], check.window.after),
                **fields,
            ),
        }
    )
    late = open_[~pending]
    outside = counted.assign(why_not="outside the window")
    if check.distinct and len(used):
        taken = outside.index.isin(used.index)
        event_date = fmt_when(pd.Series(used.reindex(outside.index[taken]).to_numpy()))
        outside.loc[taken, "why_not"] = (
            TEMPLATES["taken"].format(event=kind.label.lower()) + " " + event_date.to_numpy()
        )
    candidates = pd.concat([outside, others], ignore_index=True)
    late = late.merge(nearest(late, candidates, check.evidence.kind), on="key", how="left")
    both = {
        "date": fmt_when(late["date"], check.window.after),
        "due": fmt_when(late["due"], check.window.after),
        "found": late["found"].fillna(""),
        **fields,
    }
    message = choose(
        late["why_not"].fillna("") == "not in Documents",
        fill(elsewhere, late.index, **both),
        fill(missing, late.index, **both),
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


def _one_event_per_piece(pairs: pd.DataFrame) -> pd.DataFrame:
    """Each piece of evidence counts for one event only: the event it was made for.

    Among the events whose window holds the piece, that is the latest event on or before the
    piece's date (the placement current when the plan was made), else the first one after it (a
    plan made ahead of a planned move). So one plan does not cover three moves in a week, and a
    plan for the previous placement does not count for the next.
    """
    current = (pairs["date"] <= pairs["ev_date"]).to_numpy()
    nanos = pairs["date"].to_numpy(dtype="datetime64[ns]").astype("int64")
    ranked = pairs.assign(_later=~current, _order=np.where(current, -nanos, nanos))
    ranked = ranked.sort_values(["piece", "_later", "_order", "key"], kind="stable")
    return ranked.drop_duplicates("piece").drop(columns=["_later", "_order"])


def explain(check: EvidencePerEvent) -> str:
    kind = _event(check)
    event = f"'{kind.label.lower()}'"
    if isinstance(check.event, EventSpec) and check.event.lasted_more_than is not None:
        event += (
            f" ({check.event.table} from {check.event.date} to {check.event.end}, lasting more "
            f"than {check.event.lasted_more_than}; an open one up to the as-of date)"
        )
    elif isinstance(check.event, EventSpec):
        event += f" (each row of {check.event.table}, on its {check.event.date})"
    elif isinstance(check.event, statuses.StatusStart):
        status = statuses.status_of(check.event.started)
        event += f" (each time the child became {status.words}, spells joined across handovers)"
    elif isinstance(check.event, EvidenceEvent):
        where = {True: " in Documents", False: " recorded outside Documents", None: ""}
        event += (
            f" (each {words(check.event.evidence)}{where[check.event.in_documents]}; several on "
            "one day are one event)"
        )
    return (
        f"For each event {event} in the last {check.lookback}{where_words(check.where)}: "
        f"{evidence_explained(check.evidence)}, dated from {check.window.before} before the "
        f"event to {check.window.after} after it."
        + (
            " Each piece counts for one event only: the latest event on or before its date whose "
            "window holds it, else the first one after (a plan made ahead of a planned move)."
            if check.distinct
            else ""
        )
        + " One exception per event without it once that time has passed; until then it is due "
        "soon." + _left_words(kind) + _scope_words(check)
    )


def _left_words(kind: EventKind) -> str:
    ways = [w for w in (kind.left, f"turned {kind.until_age}" if kind.until_age else "") if w]
    if not ways:
        return ""
    return f" An event whose deadline falls after the child {' or '.join(ways)} is not checked."


def _scope_words(check: EvidencePerEvent) -> str:
    if check.rule_scope is None:
        return ""
    return (
        " An event whose deadline falls on a day the child is not in the rule's scope "
        f"({scopes.scope_words(check.rule_scope)}) is not checked either (as the export shows "
        "it at the as-of date: an open allocation or placement goes on)."
    )


KIND = CheckKind(
    model=EvidencePerEvent,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    evidence=evidence,
    references=references,
    wheres=wheres,
    templates=TEMPLATES,
)
