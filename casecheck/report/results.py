"""A run's results as data: the versioned JSON document, CSV rows and a plain-text summary."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from casecheck import __version__
from casecheck.engine.run import RunResult
from casecheck.report.cells import defuse
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


def _weeks_open(first_seen: Any, as_of: Any) -> int | None:
    """Whole weeks from when an exception was first seen to the as-of date."""
    if first_seen is None or pd.isna(first_seen):
        return None
    return int((pd.Timestamp(as_of) - pd.Timestamp(first_seen)).days // 7)


def exception_records(result: RunResult) -> list[dict[str, Any]]:
    """The exceptions, each with its evidence as a nested object."""
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    out = []
    for row in result.findings.to_dict("records"):
        out.append(
            {
                "fingerprint": row["fingerprint"],
                "rule_id": row["rule_id"],
                "title": titles[row["rule_id"]],
                "check": row["check"],
                "severity": row["severity"],
                "person_id": row["PERSON_ID"],
                "team": row["team"],
                "worker": row["worker"] or None,
                "message": row["message"],
                "event_date": _date(row["event_date"]),
                "due_date": _date(row["due_date"]),
                "days_overdue": int(row["days_overdue"]),
                "since_previous": row.get("change"),
                "first_seen": _date(row.get("first_seen")),
                "weeks_open": _weeks_open(row.get("first_seen"), result.as_of),
                "waiver": row.get("waiver") or None,
                "evidence": {
                    "looked_for": row["looked_for"],
                    "nearest_found": row["nearest"] or None,
                },
            }
        )
    return out


def due_soon_records(result: RunResult) -> list[dict[str, Any]]:
    return [
        {
            "rule_id": row["rule_id"],
            "check": row["check"],
            "person_id": row["PERSON_ID"],
            "team": row["team"],
            "worker": row["worker"] or None,
            "due_date": _date(row["due_date"]),
            "message": row["message"],
        }
        for row in result.due_soon.to_dict("records")
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
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def results_csv(result: RunResult) -> str:
    """One row per exception (`status` exception), then one per waived exception, per one of
    last run's exceptions now fixed or dropped out, and per rule that did not run (no
    PERSON_ID, its reason as the message), so nothing is mistaken for a pass. Every text cell
    is one line (line breaks and TABs inside a value become spaces) and formula-like cells are
    defused."""
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
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    for column in CSV_COLUMNS:
        if column != "days_overdue":
            frame[column] = defuse(frame[column])
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def actions_csv(result: RunResult) -> str:
    """The team managers' action list as CSV: per team and worker, high-severity exceptions
    first, then the rest by days overdue, then what falls due soon. Cells defused."""
    from casecheck.report.summary import ACTION_COLUMNS, actions

    frame = actions(result)
    frame = frame.assign(due_date=_iso(frame["due_date"])).sort_values(
        ["team", "worker"], kind="stable"
    )
    out = frame[["team", *ACTION_COLUMNS[:2], *ACTION_COLUMNS[3:]]].copy()
    for column in out.columns:
        if column != "days_overdue":
            out[column] = defuse(out[column])
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
