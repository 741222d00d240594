"""The results as JUnit XML, so CI dashboards show each rule as a suite and each child as a test.

Written a rule (a <testsuite>) at a time: only one rule's test cases and failures are held at
once, never the whole document (680,000 test cases at 100,000 children). A rule's cases are
one pyarrow text array, a line each, built by string kernels; its data, the lines one after
another in UTF-8, is the suite's text as written, with no Python string per case. The layout is
ElementTree's indented tree: two spaces a level, empty elements as `<name ... />`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casecheck.engine.context import fmt_dates
from casecheck.engine.run import RuleOutcome, RunResult
from casecheck.report.arrow_text import each, join, utf8
from casecheck.report.cells import NOT_XML, NOT_XML_RE2

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
# The bytes that start a character XML 1.0 forbids, in UTF-8: a C0 control (but TAB, LF and
# CR), or the first byte of U+FFFE and U+FFFF (which starts other characters too).
_MAYBE_NOT_XML = np.array([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xEF])
# The text columns of an exception that its <failure> shows (with due_date, days_overdue).
FAILURE_TEXT = [
    "message",
    "severity",
    "looked_for",
    "nearest",
    "check",
    "team",
    "worker",
    "fingerprint",
]
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class _Text:
    """A text column of the results, whose rows are taken as Arrow text (each value as str()
    writes it, a missing one blank): Arrow's own array when the column holds one, else the
    column's values as Python objects."""

    values: pa.ChunkedArray | pa.Array | np.ndarray

    @staticmethod
    def of(values: pd.Series) -> _Text:
        if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
            return _Text(pa.array(values).cast(pa.large_string()))
        return _Text(values.to_numpy(dtype=object))

    def take(self, rows: np.ndarray) -> pa.LargeStringArray:
        if isinstance(self.values, np.ndarray):
            text = _objects(self.values[rows])
        else:
            text = self.values.take(pa.array(rows, type=pa.int64()))
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
        return pc.fill_null(text, each(""))


# A value as text with the characters XML 1.0 forbids removed, for an array of objects.
_clean = np.frompyfunc(lambda value: NOT_XML.sub("", str(value)), 1, 1)


def _objects(values: np.ndarray) -> pa.Array:
    """Python values as Arrow text (null for a missing one).

    Arrow cannot hold a lone surrogate (from a folder name that is not UTF-8, or an escape in
    a rule file), nor take a value that is not text: those go through str() and have the
    characters XML 1.0 forbids removed here, in Python, once per distinct value.
    """
    try:
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    except (UnicodeEncodeError, pa.ArrowException):
        codes, uniques = pd.factorize(values)
        clean = _clean(np.asarray(uniques, dtype=object))
        return pa.array(clean, type=pa.large_string()).take(pa.array(codes, mask=codes < 0))


def _bytes_in(text: pa.Array) -> np.ndarray:
    """Which byte values the UTF-8 of `text` holds (perhaps some more, from data outside it)."""
    data = text.buffers()[2]
    if data is None:
        return np.zeros(256, dtype=bool)
    held: np.ndarray = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256) > 0
    return held


def _escaped(text: pa.LargeStringArray, escapes: tuple[tuple[str, str], ...]) -> pa.Array:
    """Text as XML: the characters XML 1.0 forbids removed, the rest escaped. Which bytes the
    text holds is counted first, in one pass, so that a kernel runs only when there may be
    something for it to change."""
    held = _bytes_in(text)
    if held[_MAYBE_NOT_XML].any():
        text = pc.replace_substring_regex(text, NOT_XML_RE2, "")
    for char, entity in escapes:  # an entity adds none of the characters escaped after it
        if held[ord(char)]:
            text = pc.replace_substring(text, char, entity)
    return text


def _text(text: pa.LargeStringArray) -> pa.Array:
    return _escaped(text, TEXT_ESCAPES)


def _attr(text: pa.LargeStringArray) -> pa.Array:
    return _escaped(text, ATTRIBUTE_ESCAPES)


def _one(value: str) -> str:
    """One attribute value escaped (a rule's id, title, reason)."""
    out = NOT_XML.sub("", value)
    for char, entity in ATTRIBUTE_ESCAPES:
        out = out.replace(char, entity)
    return out


def _dates(days: np.ndarray) -> pa.Array:
    """Days as DD/MM/YYYY text (blank for none), each distinct day written once."""
    distinct, at = np.unique(days, return_inverse=True)
    text = fmt_dates(pd.Series(distinct)).to_numpy(dtype=object)
    return pa.array(text, type=pa.large_string()).take(pa.array(at.ravel()))


@dataclass(frozen=True)
class _Columns:
    """The columns of a frame that the document shows, to take a rule's rows of at a time:
    text as _Text, dates as days, numbers as int64."""

    text: dict[str, _Text]
    days: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]

    @staticmethod
    def of(frame: pd.DataFrame, text: list[str], days: list[str], numbers: list[str]) -> _Columns:
        return _Columns(
            {c: _Text.of(frame[c]) for c in text},
            {c: frame[c].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]") for c in days},
            {c: frame[c].astype("int64").to_numpy() for c in numbers},
        )


def _failures(findings: _Columns, rows: np.ndarray) -> pa.Array:
    """Each exception's <failure> element. Each field is escaped on its own, which is the same
    as escaping the text they make: escaping changes characters one at a time."""
    text = {name: column.take(rows) for name, column in findings.text.items()}
    days = pa.array(findings.numbers["days_overdue"][rows], type=pa.int64())
    nearest, worker = text["nearest"], text["worker"]
    return join(
        '      <failure message="',
        _attr(text["message"]),
        '" type="',
        _attr(text["severity"]),
        '">',
        _text(text["message"]),
        "\nDue: ",
        _dates(findings.days["due_date"][rows]),
        " (",
        pc.cast(days, pa.large_string()),
        " days overdue)\nLooked for: ",
        _text(text["looked_for"]),
        pc.if_else(
            pc.equal(nearest, each("")), each(""), join("\nNearest found: ", _text(nearest))
        ),
        "\nCheck: ",
        _text(text["check"]),
        "; team: ",
        _text(text["team"]),
        "; worker: ",
        _text(pc.if_else(pc.equal(worker, each("")), each("-"), worker)),
        "\nFingerprint: ",
        _text(text["fingerprint"]),
        "</failure>",
    )


def _due_soon(due: _Columns, rows: np.ndarray) -> pa.Array:
    """Each item due soon as a line of a <system-out>."""
    message = _text(due.text["message"].take(rows))
    return join("Due soon ", _dates(due.days["due_date"][rows]), ": ", message)


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each value's code into the column's distinct values as text, and those values."""
    codes, uniques = pd.factorize(values.astype(str))
    return codes, pd.Index(np.asarray(uniques, dtype=object), dtype=object)


def _unique(keys: np.ndarray) -> np.ndarray:
    """The distinct values of sorted `keys`."""
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


@dataclass(frozen=True)
class _Keys:
    """Every test case as one integer, the rule's position * children + the child's position
    among the sorted IDs, in order; and the rows of the exceptions and the items due soon that
    belong to a case, sorted by its key (stably: in the order the run found them)."""

    children: int
    cases: np.ndarray
    fail_rows: np.ndarray
    fail_keys: np.ndarray
    due_rows: np.ndarray
    due_keys: np.ndarray

    def of_rule(self, keys: np.ndarray, rule: int) -> slice:
        """Where a rule's keys are in sorted `keys`."""
        lo, hi = np.searchsorted(keys, [rule * self.children, (rule + 1) * self.children])
        return slice(int(lo), int(hi))


def _sorted_rows(rule: np.ndarray, child: np.ndarray, children: int) -> tuple[np.ndarray, ...]:
    """The rows with a (rule, child) key (a rule that ran, a child with a test case), sorted
    by it, and their keys."""
    rows = np.flatnonzero((rule >= 0) & (child >= 0))
    key = rule[rows].astype(np.int64) * children + child[rows]
    order = np.argsort(key, kind="stable")
    return rows[order], key[order]


def _keys(result: RunResult, rules: dict[str, int]) -> tuple[np.ndarray, _Keys]:
    """The children with a test case (in scope of a rule, or with an exception), sorted, and
    the keys of every case, exception and item due soon."""
    frames = (result.in_scope, result.findings, result.due_soon)
    children = [_codes(f["PERSON_ID"]) for f in frames]
    ids = np.sort(pd.unique(np.concatenate([children[0][1], children[1][1]]).astype(object)))
    index, ran = pd.Index(ids), pd.Index(list(rules), dtype=object)
    sorted_rows = []
    for frame, (codes, distinct) in zip(frames, children, strict=True):
        child = np.append(index.get_indexer(distinct), -1)[codes]
        rule_codes, rule_ids = _codes(frame["rule_id"])
        rule = np.append(ran.get_indexer(rule_ids), -1)[rule_codes]
        sorted_rows.append(_sorted_rows(rule, child, len(ids)))
    (_, scope_keys), (fail_rows, fail_keys), (due_rows, due_keys) = sorted_rows
    cases = np.concatenate([scope_keys, fail_keys])
    cases.sort()
    keys = _Keys(max(len(ids), 1), _unique(cases), fail_rows, fail_keys, due_rows, due_keys)
    return ids, keys


def _grouped(text: pa.Array, keys: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """The distinct keys of sorted `keys`, and the text of each one's rows joined by line
    breaks."""
    if not len(keys):
        return keys, pa.array([], type=pa.large_string())
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    offsets = pa.array(np.append(starts, len(keys)), type=pa.int64())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, text), each("\n"))
    return keys[starts], joined


def _at(wanted: np.ndarray, found: np.ndarray, text: pa.Array) -> pa.Array:
    """The text of each of `wanted` in `found` (both sorted), null where it is not there."""
    if not len(found):
        return pa.nulls(len(wanted), type=pa.large_string())
    at = np.minimum(np.searchsorted(found, wanted), len(found) - 1)
    return text.take(pa.array(at, mask=found[at] != wanted))


@dataclass(frozen=True)
class _Document:
    """What the test cases are made of: the keys, each child's name, and the columns shown."""

    keys: _Keys
    names: pa.Array  # each child's ID as an attribute value, in sorted order
    findings: _Columns
    due: _Columns


def _cases(doc: _Document, rule: int, rule_id: str) -> bytes:
    """A rule's <testcase> elements, by child, a line each (or more): only the cases with
    something to say (a failure, a due-soon note) are written in the long form."""
    keys = doc.keys
    first = rule * keys.children
    children = keys.cases[keys.of_rule(keys.cases, rule)] - first
    at = keys.of_rule(keys.fail_keys, rule)
    found, text = _grouped(_failures(doc.findings, keys.fail_rows[at]), keys.fail_keys[at])
    fails = _at(children, found - first, text)
    at = keys.of_rule(keys.due_keys, rule)
    found, text = _grouped(_due_soon(doc.due, keys.due_rows[at]), keys.due_keys[at])
    soon = _at(children, found - first, join("      <system-out>", text, "</system-out>"))
    failing, waiting = fails.is_valid(), soon.is_valid()
    inner = join(
        pc.fill_null(fails, each("")),
        pc.if_else(pc.and_(failing, waiting), each("\n"), each("")),
        pc.fill_null(soon, each("")),
    )
    long = join('">\n', inner, "\n    </testcase>")
    tail = pc.if_else(pc.or_(failing, waiting), long, each('" />'))
    opening = f'    <testcase classname="{_one(rule_id)}" name="'
    return utf8(join(opening, doc.names.take(pa.array(children)), tail, "\n"))


def _suite(outcome: RuleOutcome, counts: dict[str, int], as_of: str) -> str:
    """A <testsuite>'s opening lines, up to its first test case."""
    rule = outcome.rule
    counted = " ".join(f'{k}="{v}"' for k, v in counts.items())
    return (
        f'  <testsuite name="{_one(rule.id)}" {counted} timestamp="{as_of}">\n'
        "    <properties>\n"
        f'      <property name="title" value="{_one(rule.title)}" />\n'
        f'      <property name="severity" value="{_one(rule.severity.value)}" />\n'
        "    </properties>\n"
    )


def _not_run(outcome: RuleOutcome) -> tuple[dict[str, int], str]:
    skipped = outcome.status == "not_run"
    counts = {"tests": 1, "failures": 0, "errors": int(not skipped), "skipped": int(skipped)}
    case = (
        f'    <testcase classname="{_one(outcome.rule.id)}" '
        f'name="{NOT_RUN if skipped else ERRORED}">\n'
        f'      <{"skipped" if skipped else "error"} message="{_one(outcome.reason)}" />\n'
        "    </testcase>\n"
    )
    return counts, case


def junit_chunks(result: RunResult) -> Iterator[bytes]:
    """The document as UTF-8, a <testsuite> at a time: one per rule, one <testcase> per child
    in scope, one <failure> per exception. The counts, which the root element carries, come
    first, from the cases' keys."""
    as_of = f"{result.as_of.isoformat()}T00:00:00"
    ran = [o for o in result.outcomes if o.status == "ran"]
    rules = {o.rule.id: i for i, o in enumerate(ran)}
    ids, keys = _keys(result, rules)
    tests = np.bincount(keys.cases // keys.children, minlength=len(ran))
    fails = np.bincount(_unique(keys.fail_keys) // keys.children, minlength=len(ran))
    suites: list[tuple[RuleOutcome, dict[str, int], str]] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for outcome in result.outcomes:
        if outcome.status == "ran":
            i = rules[outcome.rule.id]
            counts = {"tests": int(tests[i]), "failures": int(fails[i]), "errors": 0, "skipped": 0}
            case = ""
        else:
            counts, case = _not_run(outcome)
        suites.append((outcome, counts, case))
        for key in totals:
            totals[key] += counts[key]
    counted = " ".join(f'{k}="{v}"' for k, v in totals.items())
    root = f'<testsuites name="casecheck" {counted}'
    if not suites:
        yield f"{DECLARATION}{root} />\n".encode()
        return
    yield f"{DECLARATION}{root}>\n".encode()
    doc = _Document(
        keys,
        _attr(_objects(np.asarray(ids, dtype=object))),
        _Columns.of(result.findings, FAILURE_TEXT, ["due_date"], ["days_overdue"]),
        _Columns.of(result.due_soon, ["message"], ["due_date"], []),
    )
    for outcome, counts, case in suites:
        yield (_suite(outcome, counts, as_of) + case).encode()
        if outcome.status == "ran":
            yield _cases(doc, rules[outcome.rule.id], outcome.rule.id)
        yield b"  </testsuite>\n"
    yield b"</testsuites>\n"


def render_junit(result: RunResult) -> str:
    """The whole document as text (the CLI writes junit_chunks to its file one at a time)."""
    return b"".join(junit_chunks(result)).decode("utf-8")
