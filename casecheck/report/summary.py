"""Summary tables (by team, worker and rule; oldest overdue) grouped from a run's result frames."""

from __future__ import annotations

import pandas as pd

from casecheck.engine.run import RunResult

SEVERITIES = ("high", "medium", "low")


def narrow(result: RunResult, team: str | None) -> RunResult:
    """The same result seen by one team: its children's rows only (rule counts recounted)."""
    if team is None:
        return result
    from dataclasses import replace

    from casecheck.engine.run import RuleOutcome

    findings = result.findings[result.findings["team"] == team]
    due = result.due_soon[result.due_soon["team"] == team]
    scope = result.in_scope[result.in_scope["team"] == team]
    outcomes = []
    for o in result.outcomes:
        ids = scope.loc[scope["rule_id"] == o.rule.id, "PERSON_ID"]
        rule_findings = findings[findings["rule_id"] == o.rule.id]
        failing = rule_findings["PERSON_ID"].unique()
        outcomes.append(
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
    resolved = result.resolved
    if resolved is not None:
        resolved = resolved[resolved["team"] == team]
    return replace(
        result,
        findings=findings,
        due_soon=due,
        in_scope=scope,
        outcomes=outcomes,
        team=team,
        resolved=resolved,
    )


def teams(result: RunResult) -> list[str]:
    return sorted(set(result.in_scope["team"]) | set(result.findings["team"]))


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


def by_team(result: RunResult) -> pd.DataFrame:
    return _by(result, "team")


def by_worker(result: RunResult) -> pd.DataFrame:
    return _by(result, "worker")


def changes(result: RunResult) -> dict[str, int] | None:
    """New, still open and resolved exceptions since the previous run (None without one)."""
    if result.resolved is None or "change" not in result.findings:
        return None
    change = result.findings["change"]
    return {
        "new": int((change == "new").sum()),
        "still_open": int((change == "open").sum()),
        "resolved": len(result.resolved),
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
    """The n exceptions overdue longest (ties broken by rule, child, check and message, so
    output is stable and does not depend on the fingerprints' hash values)."""
    return result.findings.sort_values(
        ["days_overdue", "rule_id", "PERSON_ID", "check", "message", "fingerprint"],
        ascending=[False, True, True, True, True, True],
        kind="stable",
    ).head(n)
