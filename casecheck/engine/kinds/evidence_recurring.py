"""evidence_recurring: while in scope, evidence first due after a clock starts, then every M."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import model_validator

from casecheck.calendar import Duration
from casecheck.engine import scope as scopes
from casecheck.engine.context import Context, fmt_dates, member
from casecheck.engine.events import EVENTS, EventSpec, event_kind, problems
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
    evidence_explained,
    evidence_words,
    fill,
    in_scope,
    nearest,
    select_evidence,
    use_of,
    where,
    where_words,
)
from casecheck.engine.language import Evidence, Strict, Where
from casecheck.engine.statuses import StatusRef, current, needs, status_of
from casecheck.engine.statuses import problems as status_problems
from casecheck.lazy import np, pd

# A review recorded as a step and also uploaded to Documents is one review, not two: pieces of
# evidence within SAME_OCCASION of the one before count once in the schedule.
SAME_OCCASION = dt.timedelta(days=7)

CLOCKS = {
    # clock: (the tables it reads, its words)
    "scope": ((), "the child came into scope"),
    "first_allocation": (("allocations",), "the child's first allocation"),
    "current_placement": (("placements",), "the current placement started"),
    "period_of_care": (("placements",), "the current period of care began"),
}


class StatusClock(Strict):
    """A clock that starts with a status: when its current spell began (`since: period`, plans
    joined across handovers) or when the row covering the as-of date started (`since: current`:
    each new plan restarts the clock)."""

    status: StatusRef
    since: Literal["period", "current"] = "period"


class Restart(Strict):
    """An event that makes the evidence due again, within some time after it."""

    event: str | EventSpec  # a named event, or {table, date, end, lasted_more_than, label}
    within: Duration


class Later(Strict):
    """A longer interval once the clock has run for a time, for the children whose clock row
    matches `where` (reg 28(2): visits at most 3 months apart after a placement's first year,
    when it is intended to last until 18)."""

    after: Duration  # from the clock's start: a piece on or after then is followed by `every`
    every: Duration
    where: Where  # on the row that started the clock (the current placement)


class EvidenceRecurring(Strict):
    """While in scope, evidence is due `first_due` after the clock starts, then every `every`.

    `schedule` is the general form: the nth interval applies after the nth piece of evidence, the
    last one repeating (CLA reviews: 20 working days, 3 months, then 6 months).
    """

    kind: Literal["evidence_recurring"]
    evidence: Evidence
    clock: (
        Literal["scope", "first_allocation", "current_placement", "period_of_care"] | StatusClock
    ) = "scope"
    # Evidence from when the clock started (default), or from any time: then evidence from
    # before the clock started counts, but the first due date is never before `first_due`.
    count_from: Literal["clock", "any_time"] = "clock"
    first_due: Duration | None = None
    every: Duration | None = None
    schedule: list[Duration] | None = None
    # The last piece's own NEXT_REVIEW_DATE, when it is earlier than the interval gives.
    next_review: bool = False
    # Also due again within some time after each such event since the last piece ("reviewed
    # every 6 months and within 5 working days after each return from missing"); before the
    # first piece, first_due governs.
    restart: Restart | None = None
    # After `after` from the clock's start, pieces are due `every` apart instead, where the
    # current placement matches `where` (clock: current_placement only).
    later: Later | None = None
    # Only for the children of the rule's scope who are also in this one (review health
    # assessments: 6-monthly for children under 5, yearly from 5: two checks, one rule).
    scope: scopes.Scope | None = None

    @model_validator(mode="after")
    def _intervals(self) -> EvidenceRecurring:
        if self.later is not None and self.clock != "current_placement":
            raise ValueError(
                "later: applies to the current placement: give clock: current_placement"
            )
        if self.later is not None and not self.repeats:
            raise ValueError("later: changes a repeating interval: give every: or a schedule")
        if self.schedule is None and self.first_due is None:
            raise ValueError("give first_due (and optionally every), or a schedule")
        if self.schedule is not None and (self.first_due or self.every):
            raise ValueError("give either a schedule or first_due/every, not both")
        if self.schedule is not None and not self.schedule:
            raise ValueError("a schedule needs at least one interval")
        return self

    @property
    def intervals(self) -> list[Duration]:
        if self.schedule is not None:
            return self.schedule
        assert self.first_due is not None
        return [self.first_due, *([self.every] if self.every else [])]

    @property
    def repeats(self) -> bool:
        return (self.schedule is not None and len(self.schedule) > 1) or self.every is not None


TEMPLATES = {
    "overdue_last": "Last {evidence} {last}; next was due {due} ({interval})",
    "soon_last": "Last {evidence} {last}; next due {due} ({interval})",
    "none": "No {evidence} since {clock}; due {due} ({interval})",
    "none_at_once": "No {evidence}; due {due}",
    "found_only": "{message}; found only {found}",
    "overdue_review": "Last {evidence} {last}; its next review was due {due} (NEXT_REVIEW_DATE)",
    "soon_review": "Last {evidence} {last}; its next review is due {due} (NEXT_REVIEW_DATE)",
    "overdue_restart": "{event} {event_date}; no {evidence} since; was due {due} ({within})",
    "soon_restart": "{event} {event_date}; no {evidence} since; due {due} ({within})",
    "looked_for": "{evidence}",
    "looked_for_every": "{evidence}, every {every}",
}


def tables(check: EvidenceRecurring) -> list[str]:
    # A `later:` where on a column the export lacks matches no placement: the shorter interval
    # holds (what the data does not say is not assumed), and the rule still runs.
    restart: list[str] = []
    if check.restart is not None:
        event = check.restart.event
        if isinstance(event, EventSpec):
            ends = [event.end] if event.end else []
            restart = [f"{event.table}.{c}" for c in [event.date, *ends]]
        else:
            restart = [EVENTS[event].table]
    own = sorted(scopes.needs(check.scope))
    if isinstance(check.clock, StatusClock):
        return [*needs(check.clock.status), *restart, *own]
    return [*CLOCKS[check.clock][0], *restart, *own]


def _clock_words(check: EvidenceRecurring) -> str:
    """'the current placement started', 'the current child-protection plan started'."""
    if isinstance(check.clock, StatusClock):
        status = status_of(check.clock.status)
        return (
            f"{status.row} started" if check.clock.since == "current" else f"{status.spell} began"
        )
    return CLOCKS[check.clock][1]


def wheres(check: EvidenceRecurring) -> list[WhereUse]:
    return [(("later", "where"), "placements", check.later.where)] if check.later else []


def references(check: EvidenceRecurring) -> list[Problem]:
    out = scopes.problems(check.scope)
    if isinstance(check.clock, StatusClock):
        out += [
            Problem(("clock", "status", *p.loc), p.what, p.fix)
            for p in status_problems(check.clock.status)
        ]
    if check.restart is not None and isinstance(check.restart.event, EventSpec):
        out += [
            Problem(("restart", "event", *loc), what, fix)
            for loc, what, fix in problems(check.restart.event)
        ]
    event = check.restart.event if check.restart is not None else None
    if isinstance(event, str) and event not in EVENTS:
        out.append(
            Problem(
                ("restart", "event"), f'unknown event "{event}"', f"Use one of {', '.join(EVENTS)}."
            )
        )
    return out


def _restarts(
    check: EvidenceRecurring, ctx: Context, since: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per child, the latest restarting event after `since` (the last piece, or the clock's
    start): when it happened, when the evidence is due again after it, and its ref."""
    assert check.restart is not None
    kind = event_kind(check.restart.event)
    events = kind.build(ctx)
    events = events[member(events["PERSON_ID"], since.index) & (events["date"] < ctx.end_of_today)]
    after = events["date"] > since.reindex(events["PERSON_ID"]).to_numpy()
    events = events[after.to_numpy()].sort_values(["PERSON_ID", "date", "ref"], kind="stable")
    latest = events.drop_duplicates("PERSON_ID", keep="last").set_index("PERSON_ID")
    when = latest["date"].reindex(since.index).astype("datetime64[ns]")
    due = ctx.calendar.add(when, check.restart.within).dt.normalize()
    return when, due, latest["ref"].reindex(since.index)


def evidence(check: EvidenceRecurring) -> list[EvidenceUse]:
    return [use_of(check.evidence)]


def _clock(check: EvidenceRecurring, ctx: Context, scope: ScopeFrame) -> pd.Series:
    """When each in-scope child's clock started; a child with no start is timed from birth."""
    ids = in_scope(scope)
    if isinstance(check.clock, StatusClock):
        now = current(ctx, check.clock.status)
        start = now["start" if check.clock.since == "current" else "spell_start"].reindex(ids)
    elif check.clock == "first_allocation":
        start = ctx.first_allocation.reindex(ids)
    elif check.clock == "current_placement":
        start = ctx.current_placement["START_DATE"].reindex(ids)
    elif check.clock == "period_of_care":
        start = ctx.current_placement["spell_start"].reindex(ids)
    else:
        start = scope.loc[ids, "since"]
    dob = ctx.persons["DATE_OF_BIRTH"].reindex(ids)
    return start.fillna(dob).astype("datetime64[ns]").dt.normalize()


def _later(later: Later, ctx: Context, clock: pd.Series, base: pd.Series) -> np.ndarray:
    """Which children's next piece follows `later.every`: the last piece is `later.after` or
    more into the clock, and the current placement's row matches `later.where`."""
    rows = ctx.current_placement.reindex(clock.index)
    if any(c not in rows.columns for c in columns_needed(later.where)):
        return np.zeros(len(clock), dtype=bool)
    matching = where(rows.assign(PERSON_ID=clock.index), later.where, ctx.calendar)
    into = base >= ctx.calendar.add(clock, later.after)
    return np.asarray((into & clock.index.isin(matching.index)).to_numpy(), dtype=bool)


def evaluate(check: EvidenceRecurring, ctx: Context, scope: ScopeFrame) -> CheckResult:
    if check.scope is not None:
        scope = scopes.both(scope, scopes.evaluate(check.scope, ctx), ctx)
    clock = _clock(check, ctx, scope)
    counted, others = select_evidence(ctx, check.evidence)
    # Each piece's child as a position in `clock` (-1: not in scope), looked up once; the rest
    # is arithmetic on those positions.
    child = clock.index.get_indexer(pd.Index(counted["PERSON_ID"]))
    kept = child >= 0
    dates = counted["date"].to_numpy(dtype="datetime64[ns]")
    if check.count_from == "clock":
        kept[kept] = dates[kept] >= clock.to_numpy(dtype="datetime64[ns]")[child[kept]]
    read = ["PERSON_ID", "date", "ref", *(["NEXT_REVIEW_DATE"] if check.next_review else [])]
    counted, child, dates = counted[read][kept], child[kept], dates[kept]
    # Already by child, date and ref: evidence of one kind keeps the evidence frame's order.
    new_child = np.ones(len(child), dtype=bool)
    new_child[1:] = child[1:] != child[:-1]
    fresh = new_child.copy()
    fresh[1:] |= (dates[1:] - dates[:-1]) > np.timedelta64(SAME_OCCASION)
    count = pd.Series(
        np.bincount(child[fresh], minlength=len(clock)), index=clock.index, dtype="int64"
    )
    ends = np.ones(len(child), dtype=bool)  # each child's last piece
    ends[:-1] = new_child[1:]
    final = np.flatnonzero(ends)
    last_dates = np.full(len(clock), np.datetime64("NaT"), dtype="datetime64[ns]")
    last_dates[child[final]] = dates[final]
    last = pd.Series(last_dates, index=clock.index)
    last_refs = np.full(len(clock), np.nan, dtype=object)
    last_refs[child[final]] = counted["ref"].iloc[final].to_numpy(dtype=object)
    last_ref = pd.Series(last_refs, index=clock.index, dtype=counted["ref"].dtype)
    intervals = check.intervals
    step = np.minimum(count.to_numpy(), len(intervals) - 1)
    done = (count >= len(intervals)) & (not check.repeats)
    base = last.where(count > 0, clock).astype("datetime64[ns]")
    due = pd.Series(pd.NaT, index=clock.index, dtype="datetime64[ns]")
    for i, interval in enumerate(intervals):
        at = (step == i) & ~done.to_numpy()
        if at.any():
            due[at] = ctx.calendar.add(base[at], interval).to_numpy()
    labels = np.array([str(d) for d in intervals], dtype=object)[step]
    if check.later is not None:
        slower = _later(check.later, ctx, clock, base) & (count > 0).to_numpy()
        due[slower] = ctx.calendar.add(base[slower], check.later.every).to_numpy()
        labels = np.where(slower, str(check.later.every), labels)
    if check.count_from == "any_time":
        earliest = ctx.calendar.add(clock, intervals[0])
        due = due.where(~(count > 0) | due.isna() | (due >= earliest), earliest)
    # Why each child's piece is due: its interval (0), the last piece's NEXT_REVIEW_DATE (1), or
    # a restarting event since the last piece (2); the earliest wins, the interval on a tie.
    reason = pd.Series(0, index=clock.index)
    if check.next_review:
        # The last occasion's review date: its pieces within SAME_OCCASION of the last one
        # (a step with the date and its upload without it are one occasion).
        last_at = last.reindex(counted["PERSON_ID"]).to_numpy()
        occasion = counted[(counted["date"] >= last_at - np.timedelta64(SAME_OCCASION)).to_numpy()]
        review = (
            occasion.dropna(subset=["NEXT_REVIEW_DATE"])
            .drop_duplicates("PERSON_ID", keep="last")
            .set_index("PERSON_ID")["NEXT_REVIEW_DATE"]
            .reindex(clock.index)
            .astype("datetime64[ns]")
            .where(count > 0)
        )
        earlier = review.notna() & (due.isna() | (review < due))
        due = due.where(~earlier, review)
        reason = reason.where(~earlier, 1)
    restart_when = restart_ref = pd.Series(pd.NaT, index=clock.index, dtype="datetime64[ns]")
    if check.restart is not None:
        # Only once there is a piece to review: before the first, `first_due` governs.
        restart_when, restart_due, restart_ref = _restarts(check, ctx, base)
        earlier = (count > 0) & restart_due.notna() & (due.isna() | (restart_due < due))
        due = due.where(~earlier, restart_due)
        reason = reason.where(~earlier, 2)
    overdue = due.notna() & (due < ctx.today)
    soon = (
        due.notna() & (due >= ctx.today) & (due <= ctx.today + pd.Timedelta(days=ctx.due_soon_days))
    )
    # Words only for the children who are overdue or due soon: formatting is the costly part.
    keep = (overdue | soon).to_numpy()
    ids = clock.index
    shown = ids[keep]
    has_last = (count[shown] > 0).to_numpy()
    at_once = np.array([d.amount == 0 for d in intervals])[step[keep]]
    fields = {
        "evidence": evidence_words(check.evidence),
        "last": fmt_dates(last[shown]),
        "due": fmt_dates(due[shown]),
        "clock": fmt_dates(clock[shown]),
        "interval": pd.Series(labels[keep], index=shown, dtype=object),
    }
    first = choose(
        at_once,
        fill(TEMPLATES["none_at_once"], shown, **fields),
        fill(TEMPLATES["none"], shown, **fields),
    )
    message_late = choose(has_last, fill(TEMPLATES["overdue_last"], shown, **fields), first)
    message_soon = choose(has_last, fill(TEMPLATES["soon_last"], shown, **fields), first)
    event_ref = last_ref[shown].where(has_last, "since:" + clock[shown].dt.strftime("%Y-%m-%d"))
    why = reason[shown].to_numpy()
    if check.next_review:
        message_late = choose(
            why == 1, fill(TEMPLATES["overdue_review"], shown, **fields), message_late
        )
        message_soon = choose(
            why == 1, fill(TEMPLATES["soon_review"], shown, **fields), message_soon
        )
    if check.restart is not None:
        kind = event_kind(check.restart.event)
        restart_fields = {
            **fields,
            "event": kind.label,
            "event_date": fmt_dates(restart_when[shown]),
            "within": str(check.restart.within),
        }
        message_late = choose(
            why == 2, fill(TEMPLATES["overdue_restart"], shown, **restart_fields), message_late
        )
        message_soon = choose(
            why == 2, fill(TEMPLATES["soon_restart"], shown, **restart_fields), message_soon
        )
        event_ref = event_ref.where(why != 2, "after:" + restart_ref[shown].astype(str))

    late_ids = shown[overdue[shown].to_numpy()]
    targets = pd.DataFrame(
        {"PERSON_ID": late_ids, "key": late_ids, "date": due[late_ids].to_numpy()}
    )
    candidates = others[member(others["PERSON_ID"], late_ids)]
    near = nearest(targets, candidates, check.evidence.kind).set_index("key").reindex(late_ids)
    message = message_late[late_ids]
    message = choose(
        near["why_not"].fillna("").to_numpy() == "not in Documents",
        fill(
            TEMPLATES["found_only"],
            late_ids,
            message=message,
            found=pd.Series(near["found"].fillna("").to_numpy(), index=late_ids),
        ),
        message,
    )
    looked_for = (
        TEMPLATES["looked_for_every"].format(evidence=fields["evidence"], every=check.every)
        if check.every
        else TEMPLATES["looked_for"].format(evidence=fields["evidence"])
    )
    findings = pd.DataFrame(
        {
            "PERSON_ID": late_ids,
            "event_ref": event_ref[late_ids].to_numpy(),
            "event_date": base[late_ids].to_numpy(),
            "due_date": due[late_ids].to_numpy(),
            "days_overdue": days_between(due[late_ids], ctx.today).to_numpy(),
            "message": message.to_numpy(),
            "looked_for": looked_for,
            "nearest": near["nearest"].fillna("").astype(str).to_numpy(),
        }
    )
    soon_ids = shown[soon[shown].to_numpy()]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon_ids,
            "event_ref": event_ref[soon_ids].to_numpy(),
            "due_date": due[soon_ids].to_numpy(),
            "message": message_soon[soon_ids].to_numpy(),
        }
    )
    return CheckResult(in_scope=ids, findings=findings, due_soon=due_soon)


def explain(check: EvidenceRecurring) -> str:
    intervals = check.intervals
    clock = _clock_words(check)
    if check.schedule is not None:
        timing = (
            f"due {intervals[0]} after {clock}, then "
            + ", then ".join(str(d) for d in intervals[1:])
            + " after the previous one"
            + (" (the last interval repeating)" if len(intervals) > 1 else "")
        )
    else:
        timing = f"first due {check.first_due} after {clock}"
        if check.every is not None:
            timing += f", then at most {check.every} after the previous one"
    since = (
        "Evidence from any time counts."
        if check.count_from == "any_time"
        else f"Evidence counts from when {clock}."
    )
    if check.next_review:
        timing += ", or by the last one's NEXT_REVIEW_DATE when that is earlier"
    if check.restart is not None:
        event = f"'{event_kind(check.restart.event).label.lower()}'"
        if isinstance(check.restart.event, EventSpec):
            event += (
                f" (each row of {check.restart.event.table}, on its {check.restart.event.date})"
            )
        timing += f", and again within {check.restart.within} after each event {event}"
    if check.later is not None:
        which = where_words(check.later.where).removeprefix(", where ")
        timing += (
            f"; once the last one is {check.later.after} or more after {clock}, the next is due "
            f"{check.later.every} after it instead, where the current placement's {which}"
        )
    what = evidence_explained(check.evidence)
    only = f"Only for children {scopes.scope_words(check.scope)}: " if check.scope else ""
    first = what[0] if only else what[0].upper()
    return (
        f"{only}{first}{what[1:]}, {timing}. {since} An exception when the next one is "
        "overdue at the as-of date; due soon when it falls due within 14 days."
    )


KIND = CheckKind(
    model=EvidenceRecurring,
    evaluate=evaluate,
    words=explain,
    tables=tables,
    evidence=evidence,
    references=references,
    wheres=wheres,
    templates=TEMPLATES,
)
