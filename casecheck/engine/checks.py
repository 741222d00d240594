"""The check kinds of the rule language, each evaluated for every child at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from casecheck.calendar import Duration, Unit
from casecheck.engine.context import EVIDENCE_SOURCES, Context, fmt_dates, member
from casecheck.engine.events import EVENTS
from casecheck.engine.model import (
    Evidence,
    EvidencePerEvent,
    EvidenceRecurring,
    Records,
    Requirement,
    Share,
    Threshold,
)
from casecheck.engine.scope import ScopeFrame
from casecheck.export.config import normalise_names
from casecheck.export.schema import TABLES

SAME_OCCASION = pd.Timedelta(days=7)
FINDING_BASE = [
    "PERSON_ID",
    "event_ref",
    "event_date",
    "due_date",
    "days_overdue",
    "message",
    "looked_for",
    "nearest",
]
DUE_BASE = ["PERSON_ID", "event_ref", "due_date", "message"]


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: who it applied to, the exceptions, and what is due soon."""

    in_scope: pd.Index
    findings: pd.DataFrame
    due_soon: pd.DataFrame


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


ACRONYMS = {"cla": "CLA", "cin": "CIN", "cp": "CP", "uasc": "UASC", "rhi": "RHI"}


def words(kind: str) -> str:
    """An evidence kind as words: placement_plan -> placement plan, cla_visit -> CLA visit."""
    return " ".join(ACRONYMS.get(w, w) for w in kind.split("_"))


def _fmt(values: pd.Series, duration: Duration | None = None) -> pd.Series:
    if duration is not None and duration.unit is Unit.HOURS:
        text: pd.Series = values.dt.strftime("%d/%m/%Y %H:%M").fillna("")
        return text
    return fmt_dates(values)


def _end_of(due: pd.Series, duration: Duration) -> pd.Series:
    """The first instant past a deadline: the day after the due day, or just after the due hour.

    "Within 72 hours" includes the 72nd hour itself: a return at 18:00 is on time with an
    interview at 18:00 three days later, and late at 18:01 (timestamps are nanoseconds).
    """
    if duration.unit is Unit.HOURS:
        return due + pd.Timedelta(1, unit="ns")
    return due + pd.Timedelta(days=1)


def _days_between(start: pd.Series, end: pd.Timestamp | pd.Series) -> pd.Series:
    days: pd.Series = (end - start.dt.normalize()).dt.days.astype("int64")
    return days


def _meets(values: pd.Series, requirement: Requirement) -> pd.Series:
    if requirement == "recorded":
        return values.notna()
    if isinstance(requirement, bool):
        return values.astype("boolean").eq(requirement).fillna(False).astype(bool)
    wanted = {" ".join(str(v).split()).upper() for v in requirement}
    return values.astype(str).str.upper().isin(wanted) & values.notna()


def _requirement_words(field: str, requirement: Requirement) -> str:
    if requirement == "recorded":
        return f"no {field} recorded"
    if isinstance(requirement, bool):
        return f"{field} not {'Y' if requirement else 'N'}"
    return f"{field} not {' or '.join(requirement)}"


def select_evidence(ctx: Context, evidence: Evidence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split evidence of the kind into what counts and what does not (with `why_not`)."""
    rows = ctx.evidence[ctx.evidence["kind"] == evidence.kind]
    why = pd.Series("", index=rows.index, dtype=object)
    if evidence.in_documents:
        why = why.where(rows["table"] == "documents", "not in Documents")
    for field, requirement in evidence.require.items():
        ok = _meets(rows[field], requirement)
        why = why.where(ok | (why != ""), _requirement_words(field, requirement))
    counted = rows[(why == "").to_numpy()]
    others = rows[(why != "").to_numpy()].assign(why_not=why[why != ""])
    return counted, others


def _describe(evidence: pd.DataFrame, kind: str) -> pd.Series:
    """'placement plan as a case note dated 03/04/2025 (not in Documents)'."""
    text = words(kind) + " " + evidence["source"] + " dated " + fmt_dates(evidence["date"])
    if "why_not" in evidence.columns:
        text = text.where(
            evidence["why_not"].fillna("") == "", text + " (" + evidence["why_not"].fillna("") + ")"
        )
    return text


def _nearest(targets: pd.DataFrame, candidates: pd.DataFrame, kind: str) -> pd.DataFrame:
    """For each target (PERSON_ID, key, date), the candidate evidence nearest in time."""
    if targets.empty or candidates.empty:
        return pd.DataFrame(
            {
                "key": pd.Series(dtype=object),
                "nearest": pd.Series(dtype=object),
                "why_not": pd.Series(dtype=object),
            }
        )
    cand = candidates.assign(nearest=_describe(candidates, kind))
    if "why_not" not in cand.columns:
        cand["why_not"] = ""
    pairs = targets[["PERSON_ID", "key", "date"]].merge(
        cand[["PERSON_ID", "date", "nearest", "why_not", "ref"]].rename(
            columns={"date": "ev_date"}
        ),
        on="PERSON_ID",
    )
    pairs["gap"] = (pairs["ev_date"] - pairs["date"]).abs()
    pairs = pairs.sort_values(["key", "gap", "ev_date", "ref"], kind="stable")
    return pairs.drop_duplicates("key")[["key", "nearest", "why_not"]]


def _matches(values: pd.Series, wanted: list[str]) -> pd.Series:
    """Case-insensitive, space-folded match of text cells against `wanted`."""
    folded = {" ".join(v.split()).casefold() for v in wanted}
    return normalise_names(values.fillna("").astype(str)).isin(folded)


def _where(rows: pd.DataFrame, where: dict[str, list[str]]) -> pd.DataFrame:
    for column, values in where.items():
        rows = rows[_matches(rows[column], values).to_numpy()]
    return rows


def _in_scope(scope: ScopeFrame) -> pd.Index:
    return scope.index[scope["in"].to_numpy()]


# --- evidence_per_event ---------------------------------------------------------------------
def evidence_per_event(check: EvidencePerEvent, ctx: Context, scope: ScopeFrame) -> CheckResult:
    kind = EVENTS[check.event]
    events = _where(kind.build(ctx), check.where)
    start = ctx.before(check.lookback)
    events = events[
        (events["date"] >= start)
        & (events["date"] < ctx.end_of_today)
        & member(events["PERSON_ID"], _in_scope(scope))
    ].copy()
    events["key"] = events["PERSON_ID"] + "\x1f" + events["ref"]
    events = events.drop_duplicates("key")
    events["lo"] = ctx.calendar.subtract(events["date"], check.window.before).dt.normalize()
    events["due"] = ctx.calendar.add(events["date"], check.window.after)
    events["deadline"] = _end_of(events["due"], check.window.after)
    counted, others = select_evidence(ctx, check.evidence)
    pairs = events[["key", "PERSON_ID", "lo", "deadline"]].merge(
        counted[["PERSON_ID", "date"]], on="PERSON_ID"
    )
    inside = (pairs["date"] >= pairs["lo"]) & (pairs["date"] < pairs["deadline"])
    met = pd.Index(pairs.loc[inside.to_numpy(), "key"].unique())
    open_ = events[~events["key"].isin(met)]
    pending = open_["deadline"] > ctx.today
    looked_for = (
        words(check.evidence.kind)
        + (" in Documents" if check.evidence.in_documents else "")
        + f", from {check.window.before} before to {check.window.after} after"
    )
    due_words = " by " + _fmt(open_["due"], check.window.after) + f" ({check.window.after})"
    base = kind.label + " " + _fmt(open_["date"], check.window.after)
    message = base + "; no " + words(check.evidence.kind) + due_words

    soon = open_[pending.to_numpy()]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon["PERSON_ID"],
            "event_ref": soon["ref"],
            "due_date": soon["due"],
            "message": message[pending.to_numpy()],
        }
    )
    late = open_[~pending.to_numpy()]
    candidates = pd.concat(
        [counted.assign(why_not="outside the window"), others], ignore_index=True
    )
    near = _nearest(late, candidates, check.evidence.kind)
    late = late.merge(near, on="key", how="left")
    msg = message[~pending.to_numpy()].to_numpy()
    elsewhere = late["why_not"].fillna("") == "not in Documents"
    msg = np.where(
        elsewhere,
        msg
        + "; found only "
        + late["nearest"].fillna("").str.replace(r" \(not in Documents\)$", "", regex=True),
        msg,
    )
    findings = pd.DataFrame(
        {
            "PERSON_ID": late["PERSON_ID"],
            "event_ref": late["ref"],
            "event_date": late["date"],
            "due_date": late["due"],
            "days_overdue": _days_between(late["due"], ctx.today),
            "message": msg,
            "looked_for": looked_for,
            "nearest": late["nearest"].fillna(""),
        }
    )
    return CheckResult(
        in_scope=pd.Index(events["PERSON_ID"].unique()), findings=findings, due_soon=due_soon
    )


# --- evidence_recurring ---------------------------------------------------------------------
def _clock(check: EvidenceRecurring, ctx: Context, scope: ScopeFrame) -> pd.Series:
    ids = _in_scope(scope)
    if check.clock == "first_allocation":
        start = ctx.first_allocation.reindex(ids)
    elif check.clock == "current_placement":
        start = ctx.current_placement["START_DATE"].reindex(ids)
    elif check.clock == "period_of_care":
        start = ctx.current_placement["spell_start"].reindex(ids)
    else:
        start = scope.loc[ids, "since"]
    dob = ctx.persons["DATE_OF_BIRTH"].reindex(ids)
    return start.fillna(dob).astype("datetime64[ns]").dt.normalize()


def evidence_recurring(check: EvidenceRecurring, ctx: Context, scope: ScopeFrame) -> CheckResult:
    clock = _clock(check, ctx, scope)
    counted, others = select_evidence(ctx, check.evidence)
    counted = counted[member(counted["PERSON_ID"], clock.index)]
    if check.count_from == "clock":
        # reindex, not map: Series.map with an empty datetime mapper (no child in scope) raises
        counted = counted[counted["date"] >= clock.reindex(counted["PERSON_ID"]).to_numpy()]
    # A review recorded as a step and also uploaded to Documents is one review, not two: pieces
    # of evidence within SAME_OCCASION of the one before count once in the schedule.
    counted = counted.sort_values(["PERSON_ID", "date", "ref"], kind="stable")
    gap = counted["date"].diff()
    fresh = counted["PERSON_ID"].ne(counted["PERSON_ID"].shift()) | (gap > SAME_OCCASION)
    grouped = counted.groupby("PERSON_ID")
    count = fresh.groupby(counted["PERSON_ID"]).sum().reindex(clock.index, fill_value=0)
    last = grouped["date"].max().reindex(clock.index)
    last_ref = (
        counted.drop_duplicates("PERSON_ID", keep="last")
        .set_index("PERSON_ID")["ref"]
        .reindex(clock.index)
    )
    intervals = check.intervals
    step = np.minimum(count.to_numpy(), len(intervals) - 1)
    done = (count >= len(intervals)) & (not check.repeats)
    base = last.where(count > 0, clock).astype("datetime64[ns]")
    due = pd.Series(pd.NaT, index=clock.index, dtype="datetime64[ns]")
    for i, interval in enumerate(intervals):
        at = (step == i) & ~done.to_numpy()
        if at.any():
            due[at] = ctx.calendar.add(base[at], interval).to_numpy()
    if check.count_from == "any_time":
        earliest = ctx.calendar.add(clock, intervals[0])
        due = due.where(~(count > 0) | due.isna() | (due >= earliest), earliest)
    labels = np.array([str(d) for d in intervals], dtype=object)
    interval_words = pd.Series(labels[step], index=clock.index, dtype=object)
    overdue = due.notna() & (due < ctx.today)
    soon = (
        due.notna() & (due >= ctx.today) & (due <= ctx.today + pd.Timedelta(days=ctx.due_soon_days))
    )
    what = words(check.evidence.kind) + (" in Documents" if check.evidence.in_documents else "")
    # Words only for the children who are overdue or due soon: formatting is the costly part.
    keep = (overdue | soon).to_numpy()
    ids = clock.index
    shown = ids[keep]
    clock, due, last, base = clock[shown], due[shown], last[shown], base[shown]
    count, last_ref, overdue, soon = count[shown], last_ref[shown], overdue[shown], soon[shown]
    step = step[keep]
    interval_words = interval_words[shown]
    has_last = count > 0
    no_wait = np.array([d.amount == 0 for d in intervals])[step]
    first_words: pd.Series[str] = pd.Series(
        np.where(
            no_wait,
            "; due " + fmt_dates(due),
            " since " + fmt_dates(clock) + "; due " + fmt_dates(due) + " (" + interval_words + ")",
        ),
        index=clock.index,
        dtype=str,
    )
    message: pd.Series[str] = pd.Series(
        np.where(
            has_last,
            "Last "
            + what
            + " "
            + fmt_dates(last)
            + "; next was due "
            + fmt_dates(due)
            + " ("
            + interval_words
            + ")",
            "No " + what + first_words,
        ),
        index=clock.index,
        dtype=str,
    )
    message_soon = message.str.replace("next was due", "next due", regex=False)
    event_ref = last_ref.where(has_last, "since:" + clock.dt.strftime("%Y-%m-%d"))
    late_ids = shown[overdue.to_numpy()]
    targets = pd.DataFrame(
        {"PERSON_ID": late_ids, "key": late_ids, "date": due[late_ids].to_numpy()}
    )
    candidates = others[member(others["PERSON_ID"], late_ids)]
    near = _nearest(targets, candidates, check.evidence.kind).set_index("key")
    nearest = near["nearest"].reindex(late_ids).fillna("").astype(str)
    why = near["why_not"].reindex(late_ids).fillna("").astype(str)
    msg = message[late_ids]
    msg = msg.where(
        why != "not in Documents",
        msg + "; found only " + nearest.str.replace(r" \(not in Documents\)$", "", regex=True),
    )
    findings = pd.DataFrame(
        {
            "PERSON_ID": late_ids,
            "event_ref": event_ref[late_ids].to_numpy(),
            "event_date": base[late_ids].to_numpy(),
            "due_date": due[late_ids].to_numpy(),
            "days_overdue": _days_between(due[late_ids], ctx.today).to_numpy(),
            "message": msg.to_numpy(),
            "looked_for": what + (f", every {check.every}" if check.every else ""),
            "nearest": nearest.to_numpy(),
        }
    )
    soon_ids = shown[soon.to_numpy()]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon_ids,
            "event_ref": event_ref[soon_ids].to_numpy(),
            "due_date": due[soon_ids].to_numpy(),
            "message": message_soon[soon_ids].to_numpy(),
        }
    )
    return CheckResult(in_scope=ids, findings=findings, due_soon=due_soon)


# --- records --------------------------------------------------------------------------------
def records(check: Records, ctx: Context, scope: ScopeFrame) -> CheckResult:
    rows = ctx.table(check.table)
    rows = rows[member(rows["PERSON_ID"], _in_scope(scope))]
    if check.evidence is not None:
        name_col, vocab_key, _, _ = EVIDENCE_SOURCES[check.table]
        names = ctx.vocabulary.names(check.evidence, vocab_key)
        rows = rows[normalise_names(rows[name_col].fillna("")).isin(names).to_numpy()]
    rows = _where(rows, check.where)
    start = ctx.before(check.lookback)
    rows = rows[(rows[check.date] >= start) & (rows[check.date] < ctx.end_of_today)]
    key = TABLES[check.table].key or "PERSON_ID"
    date_text = _fmt(rows[check.date], check.within)
    problems = pd.Series("", index=rows.index, dtype=object)
    due = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    pending = pd.Series(False, index=rows.index)
    if check.recorded is not None and check.within is not None:
        due = ctx.calendar.add(rows[check.date], check.within)
        deadline = _end_of(due, check.within)
        # Recorded after the as-of date is not recorded yet as of it (as evidence is not seen).
        recorded = rows[check.recorded].where(rows[check.recorded] < ctx.end_of_today)
        late = recorded.notna() & (recorded >= deadline)
        missing = recorded.isna() & (deadline <= ctx.today)
        pending = recorded.isna() & (deadline > ctx.today)
        limit = _fmt(due, check.within) + f" ({check.within})"
        on = check.recorded_what + " on " + _fmt(recorded, check.within)
        problems = problems.where(~late, on + ", after the limit of " + limit)
        problems = problems.where(~missing, "no " + check.recorded_what + " by " + limit)
    if check.end is not None and check.lasted_more_than is not None:
        due, pending, problems = _lasted(check, check.end, check.lasted_more_than, ctx, rows)
    for field, requirement in check.require.items():
        bad = ~_meets(rows[field], requirement)
        text = _requirement_words(field, requirement)
        problems = problems.where(~bad, problems.where(problems == "", problems + "; ") + text)
    failed = (problems != "").to_numpy()
    found = rows[failed]
    message = check.what + " " + date_text[failed] + ": " + problems[failed]
    finding_due = due[failed].fillna(found[check.date]).astype("datetime64[ns]")
    findings = pd.DataFrame(
        {
            "PERSON_ID": found["PERSON_ID"],
            "event_ref": found[key],
            "event_date": found[check.date],
            "due_date": finding_due.dt.normalize(),
            "days_overdue": _days_between(finding_due, ctx.today),
            "message": message,
            "looked_for": _records_looked_for(check),
            "nearest": "",
        }
    )
    soon_rows = rows[pending.to_numpy() & ~failed]
    due_soon = pd.DataFrame(
        {
            "PERSON_ID": soon_rows["PERSON_ID"],
            "event_ref": soon_rows[key],
            "due_date": due[soon_rows.index],
            "message": check.what
            + " "
            + date_text[soon_rows.index]
            + ": "
            + (
                check.recorded_what + " due by "
                if check.lasted_more_than is None
                else f"reaches its limit ({check.lasted_more_than}) on "
            )
            + _fmt(due[soon_rows.index], check.within or check.lasted_more_than),
        }
    )
    return CheckResult(
        in_scope=pd.Index(rows["PERSON_ID"].unique()), findings=findings, due_soon=due_soon
    )


def _lasted(
    check: Records, end: str, limit: Duration, ctx: Context, rows: pd.DataFrame
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Due date, still-open-within-limit and problem words for "lasted no more than `limit`"."""
    due = ctx.calendar.add(rows[check.date], limit)
    # Ended after the as-of date is still open as of it; an open record counts up to the as-of.
    ended = rows[end].where(rows[end] < ctx.end_of_today)
    until = ended.fillna(ctx.today)
    over = until > due
    pending = ended.isna() & ~over
    limit_words = " the limit of " + _fmt(due, limit) + f" ({limit})"
    problems = pd.Series("", index=rows.index, dtype=object)
    problems = problems.where(
        ~(over & ended.notna()), "ended " + _fmt(ended, limit) + ", after" + limit_words
    )
    problems = problems.where(
        ~(over & ended.isna()),
        "still open on " + ctx.today.strftime("%d/%m/%Y") + ", past" + limit_words,
    )
    return due, pending, problems


def _records_looked_for(check: Records) -> str:
    parts = []
    if check.lasted_more_than is not None:
        parts.append(f"{check.end} no more than {check.lasted_more_than} after {check.date}")
    if check.within is not None:
        parts.append(f"{check.recorded_what} within {check.within} of {check.date}")
    parts.extend(_requirement_words(f, r).replace("no ", "", 1) for f, r in check.require.items())
    return "; ".join(parts)


# --- threshold ------------------------------------------------------------------------------
COUNTS: dict[str, tuple[str, str, str, str]] = {
    # count name: (table, start column, end column or "", what is counted)
    "placements": ("placements", "START_DATE", "END_DATE", "placements"),
    "workers": ("allocations", "START_DATE", "END_DATE", "allocated workers"),
    "missing_episodes": ("missing_episodes", "START_DATE", "", "missing episodes"),
}


def threshold(check: Threshold, ctx: Context, scope: ScopeFrame) -> CheckResult:
    table, start_col, end_col, noun = COUNTS[check.count]
    rows = ctx.table(table)
    rows = rows[member(rows["PERSON_ID"], _in_scope(scope))]
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
    message = (
        over.astype(str).to_numpy()
        + f" {noun} in the {check.period} to "
        + ctx.today.strftime("%d/%m/%Y")
        + f" ({check.at_least} or more calls for review)"
    )
    findings = pd.DataFrame(
        {
            "PERSON_ID": ids,
            "event_ref": f"{check.count}-{check.period}",
            "event_date": reached.to_numpy(),
            "due_date": reached.to_numpy(),
            "days_overdue": _days_between(reached, ctx.today).to_numpy(),
            "message": message,
            "looked_for": f"fewer than {check.at_least} {noun} in {check.period}",
            "nearest": "",
        }
    )
    return CheckResult(
        in_scope=pd.Index(rows["PERSON_ID"].unique()), findings=findings, due_soon=_empty(DUE_BASE)
    )


# --- share ----------------------------------------------------------------------------------
def share(check: Share, ctx: Context, scope: ScopeFrame) -> CheckResult:
    rows = ctx.table(check.table)
    rows = rows[member(rows["PERSON_ID"], _in_scope(scope))]
    start = ctx.before(check.period)
    rows = rows[(rows[check.date] >= start) & (rows[check.date] < ctx.end_of_today)]
    match = pd.Series(True, index=rows.index)
    for column, values in check.where.items():
        match &= _matches(rows[column], values)
    grouped = match.groupby(rows["PERSON_ID"])
    total = grouped.size()
    matched = grouped.sum().astype(int)
    over = (total >= check.min_records) & (matched / total > check.more_than)
    ids = total.index[over.to_numpy()]
    message = (
        check.what
        + ": "
        + matched[ids].astype(str).to_numpy()
        + " of "
        + total[ids].astype(str).to_numpy()
        + f" in the {check.period} to "
        + ctx.today.strftime("%d/%m/%Y")
    )
    today = pd.Series(ctx.today, index=ids)
    findings = pd.DataFrame(
        {
            "PERSON_ID": ids,
            "event_ref": f"share-{check.period}",
            "event_date": today.to_numpy(),
            "due_date": today.to_numpy(),
            "days_overdue": 0,
            "message": message,
            "looked_for": f"at most {check.more_than:.0%} {check.what.lower()} in {check.period}",
            "nearest": "",
        }
    )
    return CheckResult(in_scope=pd.Index(total.index), findings=findings, due_soon=_empty(DUE_BASE))


CHECK_KINDS: dict[str, Callable[[Any, Context, ScopeFrame], CheckResult]] = {
    "evidence_per_event": evidence_per_event,
    "evidence_recurring": evidence_recurring,
    "records": records,
    "threshold": threshold,
    "share": share,
}
