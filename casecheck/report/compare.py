"""Compare a run with last week's JSON by fingerprint: what is new, what was resolved, what ages."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import replace
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from casecheck.engine.run import RunResult
from casecheck.errors import CasecheckError
from casecheck.files import read_limited
from casecheck.report.results import RESULTS_SCHEMA_VERSION

GONE_COLUMNS = [
    "fingerprint",
    "rule_id",
    "check",
    "PERSON_ID",
    "team",
    "worker",
    "message",
    "event_date",
    "due_date",
    "first_seen",
    "outcome",
    "why",
]
# Why an exception of last run is gone, when the work was not done: the rule stopped applying.
LEFT_EXPORT = "the child is no longer in the export"
CASE_CLOSED = "the case was closed"
LEFT_SCOPE = "the child is no longer in the rule's scope"
AGED_OUT = "the event is now older than the rule's look-back period"
RULE_NOT_RUN = "the rule did not run this time"
FIXED = "the evidence is now recorded, or the condition has cleared"


class PreviousException(BaseModel):
    """The fields of a previous run's exception that a comparison needs."""

    # A results document is casecheck's own versioned output, not user input: fields added
    # by later versions are ignored so that an older run can still be compared with.
    model_config = ConfigDict(extra="ignore", frozen=True)

    fingerprint: str
    rule_id: str
    check: str
    person_id: str
    team: str
    worker: str | None
    message: str
    event_date: dt.date | None = None
    due_date: dt.date | None = None
    first_seen: dt.date | None = None


class PreviousGone(BaseModel):
    """One of the exceptions a previous run listed as fixed (to tell a reopened one)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    fingerprint: str
    first_seen: dt.date | None = None


class PreviousComparison(BaseModel):
    """The part of a previous run's comparison that the next one reads."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    fixed: list[PreviousGone] = []


class PreviousRun(BaseModel):
    """A previous `casecheck check --format json` document."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: int
    as_of: dt.date
    exceptions: list[PreviousException]
    comparison: PreviousComparison | None = None
    summary: list[dict[str, object]] | None = None  # compliance figures, for trends


PREVIOUS_SIZE_LIMIT = 1 << 30  # bytes: a results file of several hundred thousand exceptions


def read_previous(path: Path) -> PreviousRun:
    """Read a previous run's JSON; anything else is a clear error (exit 2)."""
    fix = "Give --previous the JSON file an earlier `casecheck check --format json` wrote."
    data = read_limited(path, CasecheckError, PREVIOUS_SIZE_LIMIT)
    try:
        raw = json.loads(_gunzipped(data, path, fix).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CasecheckError(str(path), f"is not UTF-8 text ({exc.reason})", fix) from None
    except json.JSONDecodeError as exc:
        raise CasecheckError(
            f"{path}, line {exc.lineno}", f"is not a JSON results file ({exc.msg})", fix
        ) from None
    except RecursionError:
        raise CasecheckError(
            str(path), "is not a JSON results file (its values nest too deeply to read)", fix
        ) from None
    if not isinstance(raw, dict):
        raise CasecheckError(
            str(path),
            f"is not a results file (it holds a JSON {_JSON_TYPES.get(type(raw), 'value')}, "
            "not an object with schema_version, as_of and exceptions)",
            fix,
        )
    try:
        previous = PreviousRun.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = " > ".join(str(p) for p in first["loc"]) or "the top level"
        raise CasecheckError(
            str(path), f"is not a results file (at {where}: {first['msg']})", fix
        ) from None
    if previous.schema_version < RESULTS_SCHEMA_VERSION:
        raise CasecheckError(
            str(path),
            f"has schema_version {previous.schema_version}, whose fingerprints cannot be "
            f"matched with this casecheck's (schema_version {RESULTS_SCHEMA_VERSION} makes them "
            "another way)",
            "Run last week's export again with this casecheck (same --as-of, --format json) and "
            "compare with that file, or leave --previous out this once.",
        )
    if previous.schema_version != RESULTS_SCHEMA_VERSION:
        raise CasecheckError(
            str(path),
            f"has schema_version {previous.schema_version}; "
            f"this casecheck reads {RESULTS_SCHEMA_VERSION}",
            "Compare with a results file written by this version.",
        )
    return previous


_JSON_TYPES = {
    list: "list",
    str: "string",
    int: "number",
    float: "number",
    bool: "true/false",
    type(None): "null",
}


def _gunzipped(data: bytes, path: Path, fix: str) -> bytes:
    """The bytes of a run kept compressed in a history folder (others as they are), never
    more than the size limit once uncompressed."""
    if data[:2] != b"\x1f\x8b":
        return data
    inflate = zlib.decompressobj(wbits=31)
    try:
        out = inflate.decompress(data, PREVIOUS_SIZE_LIMIT)
    except zlib.error as exc:
        raise CasecheckError(str(path), f"is not a readable gzip file ({exc})", fix) from None
    if inflate.unconsumed_tail:
        raise CasecheckError(
            str(path), "is larger than a results file can be once uncompressed", fix
        )
    return out


def _previous_frame(previous: PreviousRun) -> pd.DataFrame:
    frame = pd.DataFrame(
        [e.model_dump() for e in previous.exceptions],
        columns=[*PreviousException.model_fields],
    ).rename(columns={"person_id": "PERSON_ID"})
    for column in ("event_date", "due_date", "first_seen"):
        frame[column] = pd.to_datetime(frame[column])
    frame["first_seen"] = frame["first_seen"].fillna(pd.Timestamp(previous.as_of))
    frame["worker"] = frame["worker"].fillna("")
    return frame


def _lookback_starts(result: RunResult) -> pd.Series:
    """For each rule/check with a look-back period, where that period now starts."""
    from casecheck.calendar import WorkingCalendar

    calendar = WorkingCalendar(closure_days=result.export.config.closure_days)
    today = pd.Series([pd.Timestamp(result.as_of)])
    starts = {}
    for outcome in result.outcomes:
        for name, check in outcome.rule.checks.items():
            lookback = getattr(check, "lookback", None) or getattr(check, "period", None)
            if lookback is not None:
                starts[f"{outcome.rule.id}|{name}"] = calendar.subtract(today, lookback).iloc[0]
    return pd.Series(starts, dtype="datetime64[ns]")


def _closed_cases(result: RunResult) -> pd.Index:
    """Children who had an allocated worker but have none at the as-of date."""
    allocations = result.export.tables.get("allocations")
    if allocations is None:
        return pd.Index([], dtype=object)
    today = pd.Timestamp(result.as_of)
    started = allocations[allocations["START_DATE"] < today + pd.Timedelta(days=1)]
    open_now = started["END_DATE"].isna() | (started["END_DATE"] >= today)
    closed: pd.Index = pd.Index(started["PERSON_ID"].unique()).difference(
        pd.Index(started.loc[open_now, "PERSON_ID"].unique())
    )
    return closed


def _why_gone(result: RunResult, gone: pd.DataFrame) -> pd.Series:
    """Why each of last run's exceptions is gone: fixed, or one of the dropped-out reasons."""
    why = pd.Series(FIXED, index=gone.index, dtype=object)
    ran = {o.rule.id for o in result.outcomes if o.status == "ran"}
    key = gone["rule_id"] + "|" + gone["check"]
    aged = gone["event_date"] < key.map(_lookback_starts(result))
    scope = result.in_scope
    in_scope = (gone["rule_id"] + "|" + gone["PERSON_ID"]).isin(
        scope["rule_id"] + "|" + scope["PERSON_ID"]
    )
    persons = result.export.tables.get("persons")
    in_export = gone["PERSON_ID"].isin(persons["PERSON_ID"] if persons is not None else [])
    holder_closed = ~in_scope & gone["PERSON_ID"].isin(_closed_cases(result))
    # The first reason that applies, from the most to the least certain.
    why = why.where(in_scope, LEFT_SCOPE)
    why = why.where(~aged.fillna(False), AGED_OUT)
    why = why.where(~holder_closed, CASE_CLOSED)
    why = why.where(in_export, LEFT_EXPORT)
    return why.where(gone["rule_id"].isin(ran), RULE_NOT_RUN)


def _dates_of(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """`keys.map(dates)` as datetimes, NaT where a key has none (also when `dates` is empty)."""
    if dates.empty:
        return pd.Series(pd.NaT, index=keys.index, dtype="datetime64[ns]")
    return pd.to_datetime(keys.map(dates.astype("datetime64[ns]")))


def with_previous(
    result: RunResult, previous: PreviousRun, ever_seen: pd.DataFrame | None = None
) -> RunResult:
    """The result compared with an earlier run.

    Each exception is `new`, `open` (found last time too: `first_seen` carries over) or
    `reopened` (found in an earlier run, fixed since, back now). Each of last run's exceptions
    that is gone is `fixed` or `dropped_out`, with why. `ever_seen` (fingerprint, first_seen)
    lists the exceptions of runs before the previous one, from the history folder; without it
    only last run's own list of fixed exceptions tells a reopened one.
    """
    before = _previous_frame(previous)
    earlier = pd.DataFrame(
        [g.model_dump() for g in (previous.comparison.fixed if previous.comparison else [])],
        columns=["fingerprint", "first_seen"],
    )
    if ever_seen is not None:
        earlier = pd.concat([earlier, ever_seen], ignore_index=True)
    earlier["first_seen"] = pd.to_datetime(earlier["first_seen"])
    earlier = earlier.sort_values(["fingerprint", "first_seen"], kind="stable")
    first_earlier = earlier.drop_duplicates("fingerprint").set_index("fingerprint")["first_seen"]
    prints = result.findings["fingerprint"]
    was_open = prints.isin(before["fingerprint"])
    was_seen = prints.isin(first_earlier.index)
    change = pd.Series("new", index=prints.index, dtype=object)
    change = change.where(~was_seen, "reopened").where(~was_open, "open")
    today = pd.Timestamp(result.as_of)
    last_time = _dates_of(prints, before.set_index("fingerprint")["first_seen"])
    long_ago = _dates_of(prints, first_earlier)
    first_seen = last_time.fillna(long_ago).fillna(today).astype("datetime64[ns]")
    findings = result.findings.assign(change=change, first_seen=first_seen)
    gone = before[~before["fingerprint"].isin(prints)].copy()
    why = _why_gone(result, gone)
    gone["why"] = why
    gone["outcome"] = why.where(why == FIXED, "dropped_out").where(why != FIXED, "fixed")
    gone = gone.sort_values(["rule_id", "check", "PERSON_ID", "fingerprint"], kind="stable")
    return replace(
        result,
        findings=findings,
        gone=gone[GONE_COLUMNS].reset_index(drop=True),
        previous_as_of=previous.as_of,
    )
