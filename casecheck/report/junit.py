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
from casecheck.report.cells import NOT_XML, code_points, not_xml_points

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
    Distinct values are escaped once (children's IDs repeat across rules), and only for the
    characters their text holds at all (it is searched as one string first)."""
    codes, uniques = pd.factorize(values.astype(str).to_numpy(dtype=object, na_value="nan"))
    out = pd.Series(uniques, dtype=object)
    joined = "".join(out.tolist())
    if not_xml_points(code_points(joined)).any():
        out = out.str.replace(NOT_XML, "", regex=True)
    for char, entity in escapes:  # an entity adds none of the characters escaped after it
        if char in joined:
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


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Each value's position in `index` as text (-1 when absent), looked up once per distinct
    value."""
    codes, uniques = pd.factorize(values.astype(str))
    found = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object)))
    positions: np.ndarray = np.append(found, -1)[codes]
    return positions


def _codes(
    frame: pd.DataFrame, rules: dict[str, int], ids: pd.Index
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's (rule, child) as one integer (rule's position * children + child's sorted
    position), and which rows have one (a rule that ran, a child with a test case)."""
    rule = _positions(frame["rule_id"], pd.Index(list(rules), dtype=object))
    child = _positions(frame["PERSON_ID"], ids)
    kept = (rule >= 0) & (child >= 0)
    key = np.where(kept, rule.astype(np.int64) * len(ids) + child, -1)
    return key, kept


def _by_case(key: np.ndarray, kept: np.ndarray, lines: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The lines of each (rule, child) key, in order, joined by line breaks: the keys, sorted,
    and their text."""
    rows = np.flatnonzero(kept)
    rows = rows[np.argsort(key[rows], kind="stable")]
    keys = key[rows]
    first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, bool)
    text = lines.to_numpy(dtype=object)[rows]
    text = np.where(first, text, "\n" + text)
    if not len(keys):
        return keys, text
    starts = np.flatnonzero(first)
    return keys[starts], np.add.reduceat(text, starts)


def _lookup(keys: np.ndarray, found: np.ndarray, text: np.ndarray) -> np.ndarray:
    """The text of each of `keys` (None where `found` has no such key)."""
    out = np.full(len(keys), None, dtype=object)
    if len(found):
        at = np.minimum(np.searchsorted(found, keys), len(found) - 1)
        hit = found[at] == keys
        out[hit] = text[at[hit]]
    return out


def _failures(result: RunResult) -> pd.Series:
    """Each exception's <failure> element."""
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
    return (
        '      <failure message="'
        + _attr(f["message"])
        + '" type="'
        + _attr(f["severity"])
        + '">'
        + _text(text)
        + "</failure>"
    )


def _due_soon(result: RunResult) -> pd.Series:
    """Each item due soon as a line of a <system-out>."""
    d = result.due_soon
    return _text("Due soon " + fmt_dates(d["due_date"]) + ": " + d["message"].astype(str))


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


def _cases(result: RunResult, rules: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every <testcase> of the rules that ran: one per child a rule applied to (and any child
    with an exception), by rule and then child, sorted; with each one's rule position and
    whether it fails."""
    scope, findings, due = result.in_scope, result.findings, result.due_soon
    ids = np.concatenate([scope["PERSON_ID"].astype(str), findings["PERSON_ID"].astype(str)])
    ids = pd.Index(np.sort(pd.unique(ids.astype(object))))  # distinct first: far fewer to sort
    scope_key, in_scope = _codes(scope, rules, ids)
    fail_key, failed = _codes(findings, rules, ids)
    due_key, waits = _codes(due, rules, ids)
    keys = np.unique(np.concatenate([scope_key[in_scope], fail_key[failed]]))
    fails = _lookup(keys, *_by_case(fail_key, failed, _failures(result)))
    found, soon = _by_case(due_key, waits, _due_soon(result))
    soon = _lookup(keys, found, "      <system-out>" + soon + "</system-out>")
    failing, waiting = pd.notna(fails), pd.notna(soon)
    names = _attr(pd.Series(ids, dtype=object)).to_numpy(dtype=object)
    rule_of = keys // max(len(ids), 1)
    classes = np.array([_one(r) for r in rules], dtype=object)
    opening = (
        '    <testcase classname="' + classes[rule_of] + '" name="' + names[keys % max(len(ids), 1)]
    )
    cases = opening + '" />'
    # Only the cases with something to say (a failure, a due-soon note) are written long.
    busy = np.flatnonzero(failing | waiting)
    fail, wait = failing[busy], waiting[busy]
    inner = np.where(fail, fails[busy], "") + np.where(fail & wait, "\n", "")
    inner = inner + np.where(wait, soon[busy], "")
    cases[busy] = opening[busy] + '">\n' + inner + "\n    </testcase>"
    return cases, rule_of, failing


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
    ran = [o for o in result.outcomes if o.status == "ran"]
    rules = {o.rule.id: i for i, o in enumerate(ran)}
    cases, rule_of, failing = _cases(result, rules)
    bounds = np.searchsorted(rule_of, np.arange(len(ran) + 1))
    fails = np.bincount(rule_of[failing], minlength=len(ran))
    suites: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in result.outcomes:
        if outcome.status != "ran":
            suite, counts = _not_run(outcome, as_of)
        else:
            i = rules[outcome.rule.id]
            tests = int(bounds[i + 1] - bounds[i])
            counts = {"tests": tests, "failures": int(fails[i]), "errors": 0, "skipped": 0}
            suite = _suite(outcome, counts, as_of, cases[bounds[i] : bounds[i + 1]].tolist())
        suites.append(suite)
        for key in totals:
            totals[key] += counts[key]
    counted = " ".join(f'{k}="{v}"' for k, v in totals.items())
    root = f'<testsuites name="casecheck" {counted}'
    body = f"{root}>\n" + "\n".join(suites) + "\n</testsuites>" if suites else f"{root} />"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
