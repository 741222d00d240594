"""The results as JUnit XML, so CI dashboards show each rule as a suite and each child as a test."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, cast

import pandas as pd

from casecheck.engine.run import RuleOutcome, RunResult
from casecheck.report.cells import xml_text

NOT_RUN = "(rule not run)"
ERRORED = "(rule errored)"


def _xml_safe(root: ET.Element) -> None:
    """Drop the characters XML 1.0 forbids from every text and attribute in the tree."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for key, value in element.attrib.items():
            element.set(key, xml_text(value))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _date(value: Any) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def _failure_text(row: dict[str, Any]) -> str:
    lines = [
        row["message"],
        f"Due: {_date(row['due_date'])} ({int(row['days_overdue'])} days overdue)",
        f"Looked for: {row['looked_for']}",
    ]
    if row["nearest"]:
        lines.append(f"Nearest found: {row['nearest']}")
    lines += [
        f"Check: {row['check']}; team: {row['team']}; worker: {row['worker'] or '-'}",
        f"Fingerprint: {row['fingerprint']}",
    ]
    return "\n".join(lines)


def _suite(
    parent: ET.Element, outcome: RuleOutcome, counts: dict[str, int], as_of: str
) -> ET.Element:
    rule = outcome.rule
    suite = ET.SubElement(
        parent,
        "testsuite",
        {
            "name": rule.id,
            "tests": str(counts["tests"]),
            "failures": str(counts["failures"]),
            "errors": str(counts["errors"]),
            "skipped": str(counts["skipped"]),
            "timestamp": as_of,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (("title", rule.title), ("severity", rule.severity.value)):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    return suite


def _children(outcome: RuleOutcome, result: RunResult) -> list[str]:
    """Every child the rule applied to, plus any child with an exception (there should be none)."""
    rule_id = outcome.rule.id
    scope = result.in_scope.loc[result.in_scope["rule_id"] == rule_id, "PERSON_ID"]
    found = result.findings.loc[result.findings["rule_id"] == rule_id, "PERSON_ID"]
    return sorted({str(p) for p in scope} | {str(p) for p in found})


def render_junit(result: RunResult) -> str:
    """One <testsuite> per rule, one <testcase> per child in scope, one <failure> per exception."""
    as_of = f"{result.as_of.isoformat()}T00:00:00"
    findings: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in _records(result.findings):
        findings.setdefault((row["rule_id"], str(row["PERSON_ID"])), []).append(row)
    due: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in _records(result.due_soon):
        due.setdefault((row["rule_id"], str(row["PERSON_ID"])), []).append(row)

    root = ET.Element("testsuites", {"name": "casecheck"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in result.outcomes:
        rule_id = outcome.rule.id
        if outcome.status != "ran":
            skipped = outcome.status == "not_run"
            counts = {
                "tests": 1,
                "failures": 0,
                "errors": int(not skipped),
                "skipped": int(skipped),
            }
            suite = _suite(root, outcome, counts, as_of)
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": rule_id, "name": NOT_RUN if skipped else ERRORED},
            )
            ET.SubElement(case, "skipped" if skipped else "error", {"message": outcome.reason})
        else:
            children = _children(outcome, result)
            failing = sum((rule_id, p) in findings for p in children)
            counts = {"tests": len(children), "failures": failing, "errors": 0, "skipped": 0}
            suite = _suite(root, outcome, counts, as_of)
            for person_id in children:
                case = ET.SubElement(suite, "testcase", {"classname": rule_id, "name": person_id})
                for row in findings.get((rule_id, person_id), []):
                    failure = ET.SubElement(
                        case, "failure", {"message": row["message"], "type": row["severity"]}
                    )
                    failure.text = _failure_text(row)
                soon = due.get((rule_id, person_id), [])
                if soon:
                    out = ET.SubElement(case, "system-out")
                    out.text = "\n".join(
                        f"Due soon {_date(d['due_date'])}: {d['message']}" for d in soon
                    )
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    _xml_safe(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
