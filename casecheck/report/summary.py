"""Summary tables (by team, worker and rule; oldest overdue) grouped from a run's result frames."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd

from casecheck.engine.run import RuleOutcome, RunResult

SEVERITIES = ("high", "medium", "low")
# The frames below that several reports of one run read, by id of the result they were built
# from; an entry goes when its result does (weakref.finalize), so an id is never reused.
_VIEWS: dict[int, dict[str, pd.DataFrame]] = {}


def _once_per_result(
    build: Callable[[RunResult], pd.DataFrame],
) -> Callable[[RunResult], pd.DataFrame]:
    """`build` worked out once per result object (JSON, HTML, Excel and the action list all
    read the same tables). Each caller gets its own copy-on-write view of the frame, so none
    can change what another reads."""

    @functools.wraps(build)
    def view(result: RunResult) -> pd.DataFrame:
        views = _VIEWS.get(id(result))
        if views is None:
            views = _VIEWS[id(result)] = {}
            weakref.finalize(result, _VIEWS.pop, id(result), None)
        if build.__name__ not in views:
            views[build.__name__] = build(result)
        return views[build.__name__].copy(deep=False)

    return view


def narrow(result: RunResult, team: str | None) -> RunResult:
    """The same result seen by one team: its children's rows only (rule counts recounted)."""
    if team is None:
        return result
    from dataclasses import replace

    findings = result.findings[result.findings["team"] == team]
    due = result.due_soon[result.due_soon["team"] == team]
    scope = result.in_scope[result.in_scope["team"] == team]
    outcomes = recount(result.outcomes, findings, due, scope)

    def mine(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame[frame["team"] == team]

    return replace(
        result,
        findings=findings,
        due_soon=due,
        in_scope=scope,
        outcomes=outcomes,
        team=team,
        gone=mine(result.gone),
        waived=mine(result.waived),
    )


def recount(
    outcomes: list[RuleOutcome],
    findings: pd.DataFrame,
    due: pd.DataFrame,
    scope: pd.DataFrame,
) -> list[RuleOutcome]:
    """Each rule's counts of children and exceptions, recounted from narrower frames."""
    recounted = []
    for o in outcomes:
        ids = scope.loc[scope["rule_id"] == o.rule.id, "PERSON_ID"]
        rule_findings = findings[findings["rule_id"] == o.rule.id]
        failing = rule_findings["PERSON_ID"].unique()
        recounted.append(
            RuleOutcome(
                o.rule,
                o.status,
                o.reason,
                in_scope=len(ids),
                compliant=int((~ids.isin(failing)).sum()),
                exceptions=len(rule_findings),
                due_soon=int((due["rule_id"] == o.rule.id).sum()),
            )
        )
    return recounted


def teams(result: RunResult) -> list[str]:
    # Distinct values first (in C), then a set of a few dozen teams, not of every row.
    distinct = [pd.unique(result.in_scope["team"]), pd.unique(result.findings["team"])]
    return sorted({str(team) for values in distinct for team in values})


def _by(result: RunResult, key: str) -> pd.DataFrame:
    """Children in scope, children with exceptions, exceptions by severity, compliance."""
    scope = result.in_scope.drop_duplicates(["PERSON_ID"])
    children = scope.groupby(key)["PERSON_ID"].nunique()
    failing = result.findings.groupby(key)["PERSON_ID"].nunique()
    counts = (
        result.findings.groupby([key, "severity"]).size().unstack(fill_value=0)
        if len(result.findings)
        else pd.DataFrame()
    )
    table = pd.DataFrame({"children": children}).join(
        pd.DataFrame({"with_exceptions": failing}), how="outer"
    )
    for severity in SEVERITIES:
        table[severity] = counts.get(severity, 0)
    table = table.fillna(0).astype("int64")
    table["exceptions"] = table[list(SEVERITIES)].sum(axis=1)
    with_scope = table["children"].where(table["children"] > 0)
    table["compliance"] = ((table["children"] - table["with_exceptions"]) / with_scope).round(4)
    return table.sort_index()


@_once_per_result
def by_team(result: RunResult) -> pd.DataFrame:
    return _by(result, "team")


def by_worker(result: RunResult) -> pd.DataFrame:
    return _by(result, "worker")


def changes(result: RunResult) -> dict[str, int] | None:
    """Counts since the previous run: new, still open, reopened, fixed, dropped out, waived."""
    if result.gone is None or "change" not in result.findings:
        return None
    change = result.findings["change"]
    outcome = result.gone["outcome"]
    return {
        "new": int((change == "new").sum()),
        "still_open": int((change == "open").sum()),
        "reopened": int((change == "reopened").sum()),
        "fixed": int((outcome == "fixed").sum()),
        "dropped_out": int((outcome == "dropped_out").sum()),
        "waived": 0 if result.waived is None else len(result.waived),
    }


def by_severity(result: RunResult) -> dict[str, int]:
    """Exceptions per severity, high first, every severity present."""
    counts = result.findings["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


def overall(result: RunResult) -> dict[str, float | int | None]:
    """Headline figures: children in scope of any rule, with exceptions, compliance."""
    children = result.in_scope["PERSON_ID"].nunique()
    failing = result.findings["PERSON_ID"].nunique()
    return {
        "children_in_scope": children,
        "children_with_exceptions": failing,
        "exceptions": len(result.findings),
        "due_soon": len(result.due_soon),
        "compliance": round((children - failing) / children, 4) if children else None,
        "rules_run": sum(o.status == "ran" for o in result.outcomes),
        "rules_not_run": sum(o.status == "not_run" for o in result.outcomes),
        "rules_errored": sum(o.status == "errored" for o in result.outcomes),
    }


def oldest(result: RunResult, n: int = 10) -> pd.DataFrame:
    """The n exceptions to chase first: high severity first, then by days overdue (ties broken
    by rule, child, check and message, so output is stable and does not depend on the
    fingerprints' hash values)."""
    return oldest_of(result.findings, n)


def oldest_of(findings: pd.DataFrame, n: int) -> pd.DataFrame:
    """`oldest` of a frame of exceptions. Only the rows that can be among the first n are
    sorted on the text keys: those whose severity and days overdue rank no lower than the
    n-th row's (the rest rank after all of them whatever their text)."""
    days = findings["days_overdue"].dtype
    if 0 < n < len(findings) and isinstance(days, np.dtype) and days.kind in "iu":
        low = (findings["severity"] != "high").to_numpy(dtype=np.int64)
        late = findings["days_overdue"].to_numpy(dtype=np.int64)
        rank = low * 2**40 - late  # days overdue stay far inside 2**39
        findings = findings[rank <= np.partition(rank, n - 1)[n - 1]]
    return (
        findings.assign(_low=findings["severity"] != "high")
        .sort_values(
            ["_low", "days_overdue", "rule_id", "PERSON_ID", "check", "message", "fingerprint"],
            ascending=[True, False, True, True, True, True, True],
            kind="stable",
        )
        .drop(columns="_low")
        .head(n)
    )


ACTION_COLUMNS = [
    "worker",
    "PERSON_ID",
    "team",
    "rule_id",
    "severity",
    "action",
    "days_overdue",
    "due_date",
    "message",
    "since_previous",
]


@_once_per_result
def actions(result: RunResult) -> pd.DataFrame:
    """A team manager's action list: per worker, high-severity exceptions first, then the rest
    by days overdue, then what falls due soon (the due-soon horizon, 14 days by default)."""
    findings = result.findings
    overdue = pd.DataFrame(
        {
            "worker": findings["worker"],
            "PERSON_ID": findings["PERSON_ID"],
            "team": findings["team"],
            "rule_id": findings["rule_id"],
            "severity": findings["severity"],
            "action": "overdue",
            "days_overdue": findings["days_overdue"].astype("Int64"),
            "due_date": findings["due_date"],
            "message": findings["message"],
            "since_previous": findings.get("change", pd.Series("", index=findings.index)),
            "_rank": (findings["severity"] != "high").astype("int64"),
        }
    )
    severity = {o.rule.id: o.rule.severity.value for o in result.outcomes}
    due = result.due_soon
    soon = pd.DataFrame(
        {
            "worker": due["worker"],
            "PERSON_ID": due["PERSON_ID"],
            "team": due["team"],
            "rule_id": due["rule_id"],
            "severity": due["rule_id"].map(severity),
            "action": "due soon",
            "days_overdue": pd.array([pd.NA] * len(due), dtype="Int64"),
            "due_date": due["due_date"],
            "message": due["message"],
            "since_previous": "",
            "_rank": 2,
        }
    )
    both = pd.concat([p for p in (overdue, soon) if len(p)] or [overdue], ignore_index=True)
    both = both.assign(_late=-both["days_overdue"].fillna(0).astype("int64"))
    both = both.sort_values(
        ["worker", "_rank", "_late", "due_date", "rule_id", "PERSON_ID", "message"],
        kind="stable",
    )
    return both[ACTION_COLUMNS].reset_index(drop=True)


def new_high(result: RunResult) -> pd.DataFrame:
    """High-severity exceptions that are new (or reopened) since the previous run."""
    findings = result.findings
    if "change" not in findings:
        return findings.iloc[:0]
    fresh = findings["change"].isin(["new", "reopened"]) & (findings["severity"] == "high")
    return findings[fresh]
