"""The results as JUnit XML, so CI dashboards show each rule as a suite and each child as a test.

Written as text a column at a time, laid out as ElementTree writes an indented tree (two spaces
a level, empty elements as `<name ... />`): an element per child and rule was 300,000 Python
objects at 20,000 children.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from casecheck.engine.context import fmt_dates
from casecheck.engine.run import RuleOutcome, RunResult
from casecheck.report.cells import NOT_XML

NOT_RUN = "(rule not run)"
ERRORED = "(rule errored)"
# What XML escapes in text, and in attribute values besides (as ElementTree does).
TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
ATTRIBUTE_ESCAPES = (
    *TEXT_ESCAPES,
    ('"', "&quot;"),
    ("\r", "&#13;"),
    ("\n", "&#10;"),
    ("\t", "&#09;"),
)


def _escaped(values: pd.Series, escapes: tuple[tuple[str, str], ...]) -> pd.Series:
    """Each value as XML text: the characters XML 1.0 forbids removed, the rest escaped.
    Distinct values are escaped once (children's IDs repeat across rules)."""
    codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object, na_value="nan"))
    out = pd.Series(uniques, dtype=object).str.replace(NOT_XML, "", regex=True)
    for char, entity in escapes:
        out = out.str.replace(char, entity, regex=False)
    return pd.Series(out.to_numpy(dtype=object)[codes], index=values.index, dtype=object)


def _text(values: pd.Series) -> pd.Series:
    return _escaped(values, TEXT_ESCAPES)


def _attr(values: pd.Series) -> pd.Series:
    return _escaped(values, ATTRIBUTE_ESCAPES)


def _one(value: str) -> str:
    """One attribute value escaped (a rule's id, title, reason)."""
    out = NOT_XML.sub("", value)
    for char, entity in ATTRIBUTE_ESCAPES:
        out = out.replace(char, entity)
    return out


def _by_child(rule_id: pd.Series, person: pd.Series, lines: pd.Series) -> pd.Series:
    """The lines of each (rule, child), in order, joined by line breaks."""
    key = pd.MultiIndex.from_arrays([rule_id.astype(str), person.astype(str)])
    first = ~key.duplicated()
    joined = pd.Series(np.where(first, lines, "\n" + lines), index=key, dtype=object)
    by_child: pd.Series = joined.groupby(level=[0, 1], sort=False).sum()
    return by_child


def _failures(result: RunResult) -> pd.Series:
    """Each (rule, child)'s <failure> elements, one per exception."""
    f = result.findings
    text = (
        f["message"].astype(str)
        + "\nDue: "
        + fmt_dates(f["due_date"])
        + " ("
        + f["days_overdue"].astype("int64").astype(str)
        + " days overdue)\nLooked for: "
        + f["looked_for"].astype(str)
        + np.where(
            f["nearest"].astype(str) != "", "\nNearest found: " + f["nearest"].astype(str), ""
        )
        + "\nCheck: "
        + f["check"].astype(str)
        + "; team: "
        + f["team"].astype(str)
        + "; worker: "
        + f["worker"].astype(str).where(f["worker"].astype(str) != "", "-")
        + "\nFingerprint: "
        + f["fingerprint"].astype(str)
    )
    lines = (
        '      <failure message="'
        + _attr(f["message"])
        + '" type="'
        + _attr(f["severity"])
        + '">'
        + _text(text)
        + "</failure>"
    )
    return _by_child(f["rule_id"], f["PERSON_ID"], lines)


def _due_soon(result: RunResult) -> pd.Series:
    """Each (rule, child)'s <system-out>: what falls due soon, a line each."""
    d = result.due_soon
    lines = _text("Due soon " + fmt_dates(d["due_date"]) + ": " + d["message"].astype(str))
    joined = _by_child(d["rule_id"], d["PERSON_ID"], lines)
    return "      <system-out>" + joined + "</system-out>"


def _suite(outcome: RuleOutcome, counts: dict[str, int], as_of: str, cases: list[str]) -> str:
    rule = outcome.rule
    counted = " ".join(f'{k}="{v}"' for k, v in counts.items())
    return "\n".join(
        [
            f'  <testsuite name="{_one(rule.id)}" {counted} timestamp="{as_of}">',
            "    <properties>",
            f'      <property name="title" value="{_one(rule.title)}" />',
            f'      <property name="severity" value="{_one(rule.severity.value)}" />',
            "    </properties>",
            *cases,
            "  </testsuite>",
        ]
    )


def _cases(
    outcome: RuleOutcome, result: RunResult, named: pd.Series, failures: pd.Series, due: pd.Series
) -> tuple[list[str], int, int]:
    """A rule's <testcase> per child it applied to (and any child with an exception), sorted;
    with the number of children and of those failing. `named`: each child's ID as XML."""
    rule_id = outcome.rule.id
    scope = result.in_scope.loc[result.in_scope["rule_id"] == rule_id, "PERSON_ID"]
    found = result.findings.loc[result.findings["rule_id"] == rule_id, "PERSON_ID"]
    children = np.unique(np.concatenate([scope.astype(str), found.astype(str)]).astype(object))
    names = named.to_numpy(dtype=object)[named.index.get_indexer(pd.Index(children))]
    keys = pd.MultiIndex.from_arrays([np.full(len(children), rule_id, dtype=object), children])
    fails = failures.reindex(keys).to_numpy(dtype=object)
    soon = due.reindex(keys).to_numpy(dtype=object)
    failing, waiting = pd.notna(fails), pd.notna(soon)
    inner = np.where(failing, fails, "") + np.where(failing & waiting, "\n", "")
    inner = inner + np.where(waiting, soon, "")
    opening = f'    <testcase classname="{_one(rule_id)}" name="' + names
    cases = np.where(
        failing | waiting,
        opening + '">\n' + inner + "\n    </testcase>",
        opening + '" />',
    )
    return cases.tolist(), len(children), int(failing.sum())


def _not_run(outcome: RuleOutcome, as_of: str) -> tuple[str, dict[str, int]]:
    skipped = outcome.status == "not_run"
    counts = {"tests": 1, "failures": 0, "errors": int(not skipped), "skipped": int(skipped)}
    rule_id = _one(outcome.rule.id)
    case = [
        f'    <testcase classname="{rule_id}" name="{NOT_RUN if skipped else ERRORED}">',
        f'      <{"skipped" if skipped else "error"} message="{_one(outcome.reason)}" />',
        "    </testcase>",
    ]
    return _suite(outcome, counts, as_of, case), counts


def render_junit(result: RunResult) -> str:
    """One <testsuite> per rule, one <testcase> per child in scope, one <failure> per exception."""
    as_of = f"{result.as_of.isoformat()}T00:00:00"
    failures, due = _failures(result), _due_soon(result)
    ids = pd.Index(
        pd.unique(
            np.concatenate(
                [result.in_scope["PERSON_ID"].astype(str), result.findings["PERSON_ID"].astype(str)]
            ).astype(object)
        )
    )
    named = pd.Series(_attr(pd.Series(ids, dtype=object)).to_numpy(), index=ids)
    suites: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in result.outcomes:
        if outcome.status != "ran":
            suite, counts = _not_run(outcome, as_of)
        else:
            cases, tests, failing = _cases(outcome, result, named, failures, due)
            counts = {"tests": tests, "failures": failing, "errors": 0, "skipped": 0}
            suite = _suite(outcome, counts, as_of, cases)
        suites.append(suite)
        for key in totals:
            totals[key] += counts[key]
    counted = " ".join(f'{k}="{v}"' for k, v in totals.items())
    root = f'<testsuites name="casecheck" {counted}'
    body = f"{root}>\n" + "\n".join(suites) + "\n</testsuites>" if suites else f"{root} />"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
