"""A run's results as data: the versioned JSON document, CSV rows and a plain-text summary."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from casecheck import __version__
from casecheck.engine.run import RunResult
from casecheck.report.cells import defuse
from casecheck.report.validation import load_summary, problems_records

RESULTS_SCHEMA_VERSION = 2  # 2: fingerprints are blake2b of named fields (engine.run.fingerprint)
CSV_COLUMNS = [
    "PERSON_ID",
    "team",
    "worker",
    "rule_id",
    "title",
    "check",
    "severity",
    "message",
    "due_date",
    "days_overdue",
    "looked_for",
    "nearest",
    "fingerprint",
    "change",
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
    }


def comparison(result: RunResult) -> dict[str, Any] | None:
    """What changed since the run given with --previous (null without one)."""
    if result.resolved is None or result.previous_as_of is None:
        return None
    change = result.findings["change"]
    return {
        "previous_as_of": result.previous_as_of.isoformat(),
        "new": int((change == "new").sum()),
        "still_open": int((change == "open").sum()),
        "resolved": [
            {
                "fingerprint": r["fingerprint"],
                "rule_id": r["rule_id"],
                "check": r["check"],
                "person_id": r["PERSON_ID"],
                "team": r["team"],
                "worker": r["worker"] or None,
                "message": r["message"],
            }
            for r in result.resolved.to_dict("records")
        ],
    }


def results_csv(result: RunResult) -> str:
    """One row per exception, then one per rule that did not run (no PERSON_ID, its reason as
    the message), so a skipped rule is never mistaken for a pass. Every text cell is one line
    (line breaks and TABs inside a value become spaces) and formula-like cells are defused."""
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    frame = result.findings.assign(
        title=result.findings["rule_id"].map(titles),
        due_date=result.findings["due_date"].dt.strftime("%Y-%m-%d"),
    )
    frame = frame.assign(change=frame.get("change", ""))[CSV_COLUMNS]
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    skipped = [o for o in result.outcomes if o.status != "ran"]
    if skipped:
        notes = pd.DataFrame(
            {
                "rule_id": [o.rule.id for o in skipped],
                "title": [o.rule.title for o in skipped],
                "check": [f"(rule {o.status.replace('_', ' ')})" for o in skipped],
                "severity": [o.rule.severity.value for o in skipped],
                "message": [o.reason for o in skipped],
            },
            columns=CSV_COLUMNS,
        )
        frame = pd.concat([frame, notes], ignore_index=True)
    text_columns = [c for c in CSV_COLUMNS if c not in ("days_overdue",)]
    for column in text_columns:
        frame[column] = defuse(frame[column])
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
