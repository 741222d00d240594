"""One child's file as an auditor checks it: every rule, whether it applies, evidence, gaps."""

from __future__ import annotations

from typing import Any

import pandas as pd

from casecheck.engine.checks import words
from casecheck.engine.run import RunResult
from casecheck.errors import CasecheckError
from casecheck.report.cells import terminal_text


def _flag(value: Any) -> bool | None:
    return None if pd.isna(value) else bool(value)


def case_view(result: RunResult, person_id: str) -> dict[str, Any]:
    """Everything the result says about one child, as plain data (no free text)."""
    persons = result.export.tables["persons"].set_index("PERSON_ID")
    if person_id not in persons.index:
        raise CasecheckError(
            person_id,
            f"no child with this PERSON_ID in {result.export.file_of('persons')} "
            "(or their row was set aside)",
            "Check the ID, or run `casecheck validate` to see rows set aside.",
        )
    person = persons.loc[person_id]
    findings = result.findings[result.findings["PERSON_ID"] == person_id]
    due = result.due_soon[result.due_soon["PERSON_ID"] == person_id]
    scope = result.in_scope[result.in_scope["PERSON_ID"] == person_id]
    holder = scope.iloc[0] if len(scope) else (findings.iloc[0] if len(findings) else None)
    rules = []
    for o in result.outcomes:
        mine = findings[findings["rule_id"] == o.rule.id]
        soon = due[due["rule_id"] == o.rule.id]
        if o.status != "ran":
            status = "not run" if o.status == "not_run" else "errored"
        elif len(mine):
            status = "exception"
        elif o.rule.id in set(scope["rule_id"]):
            status = "compliant"
        else:
            status = "does not apply"
        rules.append(
            {
                "rule_id": o.rule.id,
                "title": o.rule.title,
                "severity": o.rule.severity.value,
                "status": status,
                "reason": o.reason or None,
                "exceptions": [
                    {
                        "message": r["message"],
                        "due_date": r["due_date"].strftime("%Y-%m-%d"),
                        "days_overdue": int(r["days_overdue"]),
                        "looked_for": r["looked_for"],
                        "nearest_found": r["nearest"] or None,
                    }
                    for r in mine.to_dict("records")
                ],
                "due_soon": [
                    {"message": r["message"], "due_date": r["due_date"].strftime("%Y-%m-%d")}
                    for r in soon.to_dict("records")
                ],
            }
        )
    evidence = result.evidence[result.evidence["PERSON_ID"] == person_id].sort_values(
        ["kind", "date", "ref"], kind="stable"
    )
    return {
        "person_id": person_id,
        "as_of": result.as_of.isoformat(),
        "team": None if holder is None else holder["team"],
        "worker": None if holder is None or not holder["worker"] else holder["worker"],
        "uasc": _flag(person.get("UASC")),
        "age_estimated": _flag(person.get("AGE_ESTIMATED")),
        "exceptions": len(findings),
        "rules": rules,
        "evidence": [
            {
                "kind": words(r["kind"]),
                "where": r["source"],
                "date": r["date"].strftime("%Y-%m-%d"),
                "ref": r["ref"],
            }
            for r in evidence.to_dict("records")
        ],
    }


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def case_text(view: dict[str, Any]) -> str:
    """The case view as plain text (without control characters from the data)."""
    lines = [
        f"Child {view['person_id']} as of {view['as_of']}",
        f"  team: {view['team'] or '(not allocated)'}; worker: {view['worker'] or '-'}",
        f"  UASC: {_yes_no(view['uasc'])}; age estimated: {_yes_no(view['age_estimated'])}",
        "",
        "Rules:",
    ]
    for rule in view["rules"]:
        reason = f" ({rule['reason']})" if rule["reason"] else ""
        lines.append(f"  [{rule['status']}] {rule['rule_id']}: {rule['title']}{reason}")
        for item in rule["exceptions"]:
            lines.append(f"      - {item['message']}")
            if item["nearest_found"]:
                lines.append(f"        nearest found: {item['nearest_found']}")
        for item in rule["due_soon"]:
            lines.append(f"      . due soon: {item['message']}")
    lines.append("")
    lines.append("Evidence on file:" if view["evidence"] else "Evidence on file: none found")
    for item in view["evidence"]:
        lines.append(f"  {item['date']}  {item['kind']} {item['where']} ({item['ref']})")
    return terminal_text("\n".join(lines)) + "\n"
