"""A run's results as data: the versioned JSON document, CSV rows and a plain-text summary."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import orjson
import pandas as pd

from casecheck import __version__
from casecheck.engine.run import RunResult
from casecheck.report.csv_rows import csv_utf8
from casecheck.report.validation import load_summary, problems_records

# 2: fingerprints are blake2b of named fields (engine.run.fingerprint); comparison.resolved split
# into fixed and dropped_out; waivers.
RESULTS_SCHEMA_VERSION = 2
CSV_COLUMNS = [
    "PERSON_ID",
    "team",
    "worker",
    "rule_id",
    "title",
    "check",
    "severity",
    "status",
    "message",
    "due_date",
    "days_overdue",
    "looked_for",
    "nearest",
    "since_previous",
    "first_seen",
    "why",
    "waiver",
    "fingerprint",
]


def _date(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def iso_text(values: pd.Series, blank: object) -> np.ndarray:
    """A column of dates as YYYY-MM-DD text (`blank` where there is none), formatted per
    column, not per cell."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = blank
    return text


def iso_dates(values: pd.Series) -> list[str | None]:
    """A column of dates as ISO text (None for a blank)."""
    listed: list[str | None] = iso_text(values, None).tolist()
    return listed


def _column(frame: pd.DataFrame, name: str, default: Any = None) -> list[Any]:
    """A column as plain Python values (`default` for each row when the frame lacks it)."""
    if name not in frame:
        return [default] * len(frame)
    values: list[Any] = frame[name].astype(object).tolist()
    return values


def _or_none(values: list[Any]) -> list[Any]:
    """`value or None` for each value: blank text is null in the JSON."""
    return [v or None for v in values]


def rule_rows(result: RunResult) -> list[dict[str, Any]]:
    """One summary record per rule, in rule order."""
    return [
        {
            "rule_id": o.rule.id,
            "title": o.rule.title,
            "severity": o.rule.severity.value,
            "source": o.rule.source,
            "status": o.status,
            "reason": o.reason or None,
            "children_in_scope": o.in_scope,
            "compliant": o.compliant,
            "exceptions": o.exceptions,
            "due_soon": o.due_soon,
            "compliance": None if o.compliance is None else round(o.compliance, 4),
        }
        for o in result.outcomes
    ]


def exception_records(result: RunResult) -> list[dict[str, Any]]:
    """The exceptions, each with its evidence as a nested object (built column by column)."""
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    findings = result.findings
    rule_ids = _column(findings, "rule_id")
    first_seen = findings.get("first_seen")
    if first_seen is None:
        seen: list[str | None] = [None] * len(findings)
        weeks: list[int | None] = [None] * len(findings)
    else:
        seen = iso_dates(first_seen)
        days = (pd.Timestamp(result.as_of) - pd.to_datetime(first_seen)).dt.days
        weeks = [None if pd.isna(w) else int(w) for w in (days // 7).astype(object).tolist()]
    columns = zip(
        _column(findings, "fingerprint"),
        rule_ids,
        [titles[r] for r in rule_ids],
        _column(findings, "check"),
        _column(findings, "severity"),
        _column(findings, "PERSON_ID"),
        _column(findings, "team"),
        _or_none(_column(findings, "worker")),
        _column(findings, "message"),
        iso_dates(findings["event_date"]),
        iso_dates(findings["due_date"]),
        [int(d) for d in findings["days_overdue"].tolist()],
        _column(findings, "change"),
        seen,
        weeks,
        _or_none(_column(findings, "waiver")),
        _column(findings, "looked_for"),
        _or_none(_column(findings, "nearest")),
        strict=True,
    )
    return [
        {
            "fingerprint": fingerprint,
            "rule_id": rule_id,
            "title": title,
            "check": check,
            "severity": severity,
            "person_id": person_id,
            "team": team,
            "worker": worker,
            "message": message,
            "event_date": event_date,
            "due_date": due_date,
            "days_overdue": days_overdue,
            "since_previous": change,
            "first_seen": first,
            "weeks_open": weeks_open,
            "waiver": waiver,
            "evidence": {"looked_for": looked_for, "nearest_found": nearest},
        }
        for (
            fingerprint,
            rule_id,
            title,
            check,
            severity,
            person_id,
            team,
            worker,
            message,
            event_date,
            due_date,
            days_overdue,
            change,
            first,
            weeks_open,
            waiver,
            looked_for,
            nearest,
        ) in columns
    ]


def due_soon_records(result: RunResult) -> list[dict[str, Any]]:
    due = result.due_soon
    columns = zip(
        _column(due, "rule_id"),
        _column(due, "check"),
        _column(due, "PERSON_ID"),
        _column(due, "team"),
        _or_none(_column(due, "worker")),
        iso_dates(due["due_date"]),
        _column(due, "message"),
        strict=True,
    )
    return [
        {
            "rule_id": rule_id,
            "check": check,
            "person_id": person_id,
            "team": team,
            "worker": worker,
            "due_date": due_date,
            "message": message,
        }
        for rule_id, check, person_id, team, worker, due_date, message in columns
    ]


def results_document(result: RunResult) -> dict[str, Any]:
    """The `--format json` document: a stable, versioned machine contract."""
    export = result.export
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "casecheck_version": __version__,
        "as_of": result.as_of.isoformat(),
        "export": {
            "folder": str(export.folder),
            "council": export.config.council,
            "tables": load_summary(export),
            "problems": problems_records(export.problems),
        },
        "rules": rule_rows(result),
        "team": result.team,
        "exceptions": exception_records(result),
        "due_soon": due_soon_records(result),
        "comparison": comparison(result),
        "summary": summary_records(result),
        "waived": waived_records(result),
        "stale_waivers": stale_waiver_records(result),
    }


def results_json(result: RunResult) -> bytes | str:
    """The document as JSON text, indented by two spaces, non-ASCII characters as they are.

    orjson writes the same bytes as `json.dumps(..., indent=2, ensure_ascii=False)` (keys in
    order, the same escapes, the same shortest float repr for the 4-decimal figures) over ten
    times faster. Text it cannot encode as UTF-8 (a lone surrogate, from a folder name that is
    not UTF-8) goes through the json module instead, as before.
    """
    document = results_document(result)
    try:
        return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    except orjson.JSONEncodeError:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _gone_records(gone: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "fingerprint": r["fingerprint"],
            "rule_id": r["rule_id"],
            "check": r["check"],
            "person_id": r["PERSON_ID"],
            "team": r["team"],
            "worker": r["worker"] or None,
            "message": r["message"],
            "event_date": _date(r["event_date"]),
            "first_seen": _date(r["first_seen"]),
            "why": r["why"],
        }
        for r in gone.to_dict("records")
    ]


def comparison(result: RunResult) -> dict[str, Any] | None:
    """What changed since the previous run (null without one)."""
    from casecheck.report.summary import changes

    counts = changes(result)
    if result.gone is None or result.previous_as_of is None or counts is None:
        return None
    outcome = result.gone["outcome"]
    return {
        "previous_as_of": result.previous_as_of.isoformat(),
        "counts": counts,
        "fixed": _gone_records(result.gone[outcome == "fixed"]),
        "dropped_out": _gone_records(result.gone[outcome == "dropped_out"]),
    }


def summary_records(result: RunResult) -> list[dict[str, Any]]:
    """Compliance overall, per rule that ran and per team: what a trend over runs reads."""
    from casecheck.weekly.trend import figures

    frame = figures(result).drop(columns="as_of")
    return [
        {str(k): (None if pd.isna(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def waived_records(result: RunResult) -> list[dict[str, Any]]:
    """The exceptions a waiver in force covers, each with its waiver."""
    if result.waived is None:
        return []
    return [
        {
            "fingerprint": r["fingerprint"],
            "rule_id": r["rule_id"],
            "check": r["check"],
            "severity": r["severity"],
            "person_id": r["PERSON_ID"],
            "team": r["team"],
            "worker": r["worker"] or None,
            "message": r["message"],
            "due_date": _date(r["due_date"]),
            "waiver": {
                "reason": r["reason"],
                "approved_by": r["approved_by"],
                "approved_on": _date(r["approved_on"]),
                "expires": _date(r["expires"]),
            },
        }
        for r in result.waived.to_dict("records")
    ]


def stale_waiver_records(result: RunResult) -> list[dict[str, Any]]:
    """Waivers that matched no exception: the work may be done, or the waiver mistyped."""
    if result.stale_waivers is None:
        return []
    return [
        {
            "item": int(r["line"]),
            "rule": r["rule"],
            "child": r["child"],
            "event": _date(r["event"]),
            "fingerprint": r["fingerprint"],
            "expires": _date(r["expires"]),
            "status": r["status"],
        }
        for r in result.stale_waivers.to_dict("records")
    ]


def _iso(values: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text (NaN for a blank, as strftime gives)."""
    return pd.Series(iso_text(values, np.nan), index=values.index, dtype=object)


def results_csv(result: RunResult) -> bytes:
    """One row per exception (`status` exception), then one per waived exception, per one of
    last run's exceptions now fixed or dropped out, and per rule that did not run (no
    PERSON_ID, its reason as the message), so nothing is mistaken for a pass. Every text cell
    is one line (line breaks and TABs inside a value become spaces) and formula-like cells are
    defused. As UTF-8."""
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    findings = result.findings
    frame = findings.assign(
        status="exception",
        title=findings["rule_id"].map(titles),
        due_date=_iso(findings["due_date"]),
        since_previous=findings.get("change", ""),
        first_seen=_iso(findings["first_seen"]) if "first_seen" in findings else "",
        waiver=findings.get("waiver", ""),
    ).reindex(columns=CSV_COLUMNS)
    parts = [frame]
    if result.waived is not None and len(result.waived):
        waived = result.waived
        parts.append(
            waived.assign(
                status="waived",
                title=waived["rule_id"].map(titles),
                due_date=_iso(waived["due_date"]),
                waiver="waived by "
                + waived["approved_by"].astype(str)
                + " until "
                + _iso(waived["expires"])
                + ": "
                + waived["reason"].astype(str),
            ).reindex(columns=CSV_COLUMNS)
        )
    if result.gone is not None and len(result.gone):
        gone = result.gone
        parts.append(
            gone.assign(
                status=gone["outcome"],
                title=gone["rule_id"].map(titles),
                due_date=_iso(gone["due_date"]),
                first_seen=_iso(gone["first_seen"]),
            ).reindex(columns=CSV_COLUMNS)
        )
    skipped = [o for o in result.outcomes if o.status != "ran"]
    if skipped:
        parts.append(
            pd.DataFrame(
                {
                    "rule_id": [o.rule.id for o in skipped],
                    "title": [o.rule.title for o in skipped],
                    "check": [f"(rule {o.status.replace('_', ' ')})" for o in skipped],
                    "severity": [o.rule.severity.value for o in skipped],
                    "status": [o.status for o in skipped],
                    "message": [o.reason for o in skipped],
                },
                columns=CSV_COLUMNS,
            )
        )
    frame = pd.concat([p for p in parts if len(p)] or [frame], ignore_index=True)
    return csv_utf8(frame, numbers=["days_overdue"])


def actions_csv(result: RunResult) -> bytes:
    """The team managers' action list as CSV: per team and worker, high-severity exceptions
    first, then the rest by days overdue, then what falls due soon. Cells defused; UTF-8."""
    from casecheck.report.summary import ACTION_COLUMNS, actions

    frame = actions(result)
    frame = frame.assign(due_date=_iso(frame["due_date"])).sort_values(
        ["team", "worker"], kind="stable"
    )
    return csv_utf8(frame[["team", *ACTION_COLUMNS[:2], *ACTION_COLUMNS[3:]]], ["days_overdue"])
