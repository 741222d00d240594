"""The file reports (Excel, HTML, JUnit XML) built from one real run of a synthetic export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import openpyxl
import pandas as pd
import pytest

from casecheck.engine import checks
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.generate import generate_export
from casecheck.report import summary
from casecheck.report.cells import xml_text
from casecheck.report.html import _Environment, anchor, render_html
from casecheck.report.junit import junit_chunks, render_junit
from casecheck.report.xlsx import render_xlsx

AS_OF = dt.date(2026, 10, 30)
EVIL_TEAM = '=HYPERLINK("http://evil.example/x","click")'
RENAMED_TEAM = "Leaving Care"
EXCEPTION_HEADERS = [
    "PERSON_ID",
    "Team",
    "Worker",
    "Rule id",
    "Rule title",
    "Check",
    "Severity",
    "Message",
    "Due date",
    "Days overdue",
    "Looked for",
    "Nearest found",
    "Since previous run",
    "First seen",
    "Waiver",
    "Fingerprint",
]
ACTION_HEADERS = [
    "Worker",
    "PERSON_ID",
    "Rule id",
    "Severity",
    "Action",
    "Days overdue",
    "Due date",
    "Message",
    "Since previous run",
]


def _broken_check(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("share check broke")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """120 children; one team named like a formula, its workers' names starting with @;
    no missing_episodes.csv (so some rules cannot run) and the share check broken (so one errs).
    """
    folder: Path = tmp_path_factory.mktemp("export")
    generate_export(folder, children=120, seed=11, end_date=AS_OF)
    allocations = pd.read_csv(folder / "allocations.csv", dtype=str, keep_default_na=False)
    renamed = allocations["TEAM_NAME"] == RENAMED_TEAM
    assert renamed.any(), "the generator no longer makes a Leaving Care team"
    allocations.loc[renamed, "TEAM_NAME"] = EVIL_TEAM
    allocations.loc[renamed, "WORKER_NAME"] = "@" + allocations.loc[renamed, "WORKER_NAME"]
    allocations.to_csv(folder / "allocations.csv", index=False)
    (folder / "missing_episodes.csv").unlink()
    config = load_config(folder, None)
    export = load_export(folder, config)
    rules = load_rules(DEFAULT_RULES, config)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(
            checks.CHECK_KINDS,
            "share",
            dataclasses.replace(checks.CHECK_KINDS["share"], evaluate=_broken_check),
        )
        return run_rules(export, rules, AS_OF)


@pytest.fixture(scope="module")
def workbook(result: RunResult) -> Any:
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(result)))


def test_the_fixture_has_every_case(result: RunResult) -> None:
    statuses = {o.rule.id: o.status for o in result.outcomes}
    assert statuses["telephone-main-contact"] == "errored"
    assert statuses["return-home-interview"] == "not_run"
    assert EVIL_TEAM in set(result.findings["team"])
    assert len(result.findings) > 100


# --- Excel -----------------------------------------------------------------------------------


def test_workbook_sheets(result: RunResult, workbook: Any) -> None:
    names = workbook.sheetnames
    assert names[:2] == ["Summary", "All exceptions"]
    team_sheets = names[2:]
    assert len(team_sheets) == len(summary.teams(result))
    assert len({n.casefold() for n in names}) == len(names)
    for name in team_sheets:
        assert len(name) <= 31
        assert not re.search(r"[\[\]:*?/\\]", name)
    assert '=HYPERLINK("http___evil.example' in team_sheets


def test_exception_sheets_have_header_frozen_row_and_filter(workbook: Any) -> None:
    for ws in workbook.worksheets[1:]:
        headers = EXCEPTION_HEADERS if ws.title == "All exceptions" else ACTION_HEADERS
        last = "ABCDEFGHIJKLMNOP"[len(headers) - 1]
        assert [c.value for c in ws[1]] == headers, ws.title
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title
        assert all(
            ws.column_dimensions[col].width >= 8 for col in "ABCDEFGHIJKLMNOP"[: len(headers)]
        )


def test_each_team_sheet_is_that_teams_action_list(result: RunResult, workbook: Any) -> None:
    """Its overdue rows are the team's exceptions, then what falls due soon, worker by worker."""
    overdue = result.findings["team"].value_counts()
    soon = result.due_soon["team"].value_counts()
    total = 0
    for ws in workbook.worksheets[2:]:
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        people = {r[1] for r in rows}
        teams = set(result.findings.loc[result.findings["PERSON_ID"].isin(people), "team"]) | set(
            result.due_soon.loc[result.due_soon["PERSON_ID"].isin(people), "team"]
        )
        assert len(teams) <= 1, ws.title
        team = teams.pop() if teams else None
        actions = [r[4] for r in rows]
        assert actions.count("overdue") == int(overdue.get(team, 0)), ws.title
        assert actions.count("due soon") == int(soon.get(team, 0)), ws.title
        assert [r[0] for r in rows] == sorted(r[0] for r in rows), ws.title  # worker by worker
        total += actions.count("overdue")
    assert total == len(result.findings)
    assert workbook["All exceptions"].max_row - 1 == len(result.findings)


def test_dates_are_real_excel_dates(result: RunResult, workbook: Any) -> None:
    cell = workbook["All exceptions"]["I2"]
    assert isinstance(cell.value, dt.datetime)
    assert cell.number_format == "dd/mm/yyyy"
    assert cell.value == result.findings["due_date"].iloc[0].to_pydatetime()
    as_of = workbook["Summary"]["B3"]
    assert (workbook["Summary"]["A3"].value, as_of.value) == ("As of", dt.datetime(2026, 10, 30))
    assert as_of.number_format == "dd/mm/yyyy"


def test_summary_sheet(result: RunResult, workbook: Any) -> None:
    ws = workbook["Summary"]
    assert ws.freeze_panes == "A2"
    labels = {row[0]: row[1] for row in ws.iter_rows(min_row=3, max_row=20, values_only=True)}
    head = summary.overall(result)
    assert labels["Children in scope"] == head["children_in_scope"]
    assert labels["Exceptions"] == len(result.findings)
    assert labels["Rules"] == "26 ran, 3 not run, 2 errored"
    assert set(ws.tables) == {"ByTeam", "ByRule"}
    for table in ws.tables.values():
        assert table.autoFilter is not None
        header = [c.value for c in ws[table.ref][0]]
        assert header == [c.name for c in table.tableColumns]
    rules = ws[ws.tables["ByRule"].ref][1:]
    by_id = {row[0].value: row for row in rules}
    assert [r[0].value for r in rules] == [o.rule.id for o in result.outcomes]
    assert by_id["telephone-main-contact"][3].value == "errored"
    assert by_id["telephone-main-contact"][4].value.startswith("RuntimeError in run.py line ")
    assert by_id["return-home-interview"][3].value == "not run"
    ran = next(o for o in result.outcomes if o.status == "ran" and o.in_scope)
    compliance = by_id[ran.rule.id][9]
    assert compliance.value == pytest.approx(ran.compliance)
    assert compliance.number_format == "0%"
    teams = ws[ws.tables["ByTeam"].ref][1:]
    assert [r[0].value for r in teams] == summary.teams(result)
    assert all(r[7].number_format == "0%" for r in teams)


def test_formula_like_text_is_stored_as_text(workbook: Any) -> None:
    hits = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value[:1] in ("=", "@"):
                    assert cell.data_type == "s"
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    hits += 1
    assert hits > 0
    evil = [c for c in workbook["All exceptions"]["B"] if c.value == EVIL_TEAM]
    assert evil


def test_workbook_has_no_formula_elements(result: RunResult) -> None:
    with zipfile.ZipFile(io.BytesIO(render_xlsx(result))) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name)


# --- JUnit -----------------------------------------------------------------------------------


def test_junit_shape_and_counts(result: RunResult) -> None:
    root = ET.fromstring(render_junit(result))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [o.rule.id for o in result.outcomes]
    for suite, outcome in zip(suites, result.outcomes, strict=True):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "")) == len(cases)
        assert all(c.get("classname") == outcome.rule.id for c in cases)
        assert suite.get("timestamp") == "2026-10-30T00:00:00"
        if outcome.status == "ran":
            assert len(cases) == outcome.in_scope
            failures = suite.findall("testcase/failure")
            assert len(failures) == outcome.exceptions
            assert int(suite.get("failures", "")) == outcome.in_scope - outcome.compliant
            assert {f.get("type") for f in failures} <= {outcome.rule.severity.value}
            scope = result.in_scope.loc[result.in_scope["rule_id"] == outcome.rule.id]
            assert [c.get("name") for c in cases] == sorted(scope["PERSON_ID"])
        elif outcome.status == "not_run":
            assert [c.get("name") for c in cases] == ["(rule not run)"]
            assert [(e.tag, e.get("message")) for e in cases[0]] == [("skipped", outcome.reason)]
            assert suite.get("skipped") == "1"
        else:
            assert [c.get("name") for c in cases] == ["(rule errored)"]
            assert [(e.tag, e.get("message")) for e in cases[0]] == [("error", outcome.reason)]
            assert suite.get("errors") == "1"
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key, "")) == sum(int(s.get(key, "")) for s in suites)


def test_junit_failure_carries_message_due_date_and_evidence(result: RunResult) -> None:
    row = result.findings.iloc[0]
    root = ET.fromstring(render_junit(result))
    case = root.find(f"testsuite[@name='{row['rule_id']}']/testcase[@name='{row['PERSON_ID']}']")
    assert case is not None
    failure = next(f for f in case.findall("failure") if f.get("message") == row["message"])
    text = failure.text or ""
    assert text.startswith(row["message"] + "\n")
    assert f"Due: {row['due_date']:%d/%m/%Y} ({row['days_overdue']} days overdue)" in text
    assert f"Looked for: {row['looked_for']}" in text
    assert f"Fingerprint: {row['fingerprint']}" in text


def _junit_reference(result: RunResult) -> str:
    """The JUnit document built as an ElementTree, independently of report.junit: a suite
    per rule, a case per child in scope or with an exception (sorted), its failures in the
    order found, its due-soon items as lines of one <system-out>; indented two spaces a level.
    A missing value reads as blank; characters XML 1.0 forbids are removed."""

    def text(value: Any) -> str:
        missing = value is None or (not isinstance(value, str) and pd.isna(value))
        return "" if missing else xml_text(value)

    failures: dict[tuple[str, str], list[ET.Element]] = {}
    for f in result.findings.to_dict("records"):
        nearest = [f"Nearest found: {text(f['nearest'])}"] if text(f["nearest"]) else []
        body = [
            text(f["message"]),
            f"Due: {f['due_date']:%d/%m/%Y} ({f['days_overdue']} days overdue)",
            f"Looked for: {text(f['looked_for'])}",
            *nearest,
            f"Check: {text(f['check'])}; team: {text(f['team'])}; "
            f"worker: {text(f['worker']) or '-'}",
            f"Fingerprint: {text(f['fingerprint'])}",
        ]
        failure = ET.Element("failure", message=text(f["message"]), type=text(f["severity"]))
        failure.text = "\n".join(body)
        failures.setdefault((f["rule_id"], str(f["PERSON_ID"])), []).append(failure)
    soon: dict[tuple[str, str], list[str]] = {}
    for d in result.due_soon.to_dict("records"):
        line = f"Due soon {d['due_date']:%d/%m/%Y}: {text(d['message'])}"
        soon.setdefault((d["rule_id"], str(d["PERSON_ID"])), []).append(line)
    scopes: dict[str, set[str]] = {}
    for rule_id, child in zip(
        result.in_scope["rule_id"], result.in_scope["PERSON_ID"], strict=True
    ):
        scopes.setdefault(rule_id, set()).add(str(child))
    for rule_id, child in failures:
        scopes.setdefault(rule_id, set()).add(child)

    root = ET.Element("testsuites", name="casecheck")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for outcome in result.outcomes:
        rule = outcome.rule.id
        suite = ET.SubElement(root, "testsuite", name=text(rule))
        counts = dict.fromkeys(totals, 0)
        cases: list[ET.Element] = []
        if outcome.status != "ran":
            skipped = outcome.status == "not_run"
            counts.update(tests=1, errors=int(not skipped), skipped=int(skipped))
            name = "(rule not run)" if skipped else "(rule errored)"
            case = ET.Element("testcase", classname=text(rule), name=name)
            ET.SubElement(case, "skipped" if skipped else "error", message=text(outcome.reason))
            cases.append(case)
        else:
            for child in sorted(scopes.get(rule, set())):
                case = ET.Element("testcase", classname=text(rule), name=text(child))
                case.extend(failures.get((rule, child), []))
                if (rule, child) in soon:
                    ET.SubElement(case, "system-out").text = "\n".join(soon[rule, child])
                counts["failures"] += int((rule, child) in failures)
                cases.append(case)
            counts["tests"] = len(cases)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("timestamp", f"{result.as_of.isoformat()}T00:00:00")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="title", value=text(outcome.rule.title))
        severity = text(outcome.rule.severity.value)
        ET.SubElement(properties, "property", name="severity", value=severity)
        suite.extend(cases)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root, space="  ")
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return declaration + ET.tostring(root, encoding="unicode") + "\n"


def test_junit_is_the_document_elementtree_writes(result: RunResult) -> None:
    assert render_junit(result) == _junit_reference(result)


def test_junit_with_hostile_and_missing_values_is_the_document_elementtree_writes(
    result: RunResult,
) -> None:
    """Object columns (as a lone surrogate forces), control characters, markup, line breaks,
    a value that is not text, and missing values; and a child in an exception but in no scope."""
    findings = result.findings.astype(object).copy()
    rows = findings.index[:4]
    findings.loc[rows[0], "message"] = 'odd \ud800 <b>&amp;</b>\r\n"quoted"\t\x01'
    findings.loc[rows[1], "nearest"] = None
    findings.loc[rows[1], "worker"] = ""
    findings.loc[rows[2], "team"] = "Team\x0b & \ufffe <Co>"
    findings.loc[rows[2], "fingerprint"] = 12345
    findings.loc[rows[3], "PERSON_ID"] = "Z\x1fnot-in-scope"
    due = result.due_soon.astype(object).copy()
    due.loc[due.index[0], "message"] = "soon & <now>\x02"
    hostile = dataclasses.replace(result, findings=findings, due_soon=due)
    assert render_junit(hostile) == _junit_reference(hostile)


def test_junit_is_written_a_rule_at_a_time(result: RunResult) -> None:
    """No chunk holds more than one suite, so a run never holds the whole document."""
    chunks = list(junit_chunks(result))
    assert b"".join(chunks).decode("utf-8") == render_junit(result)
    assert all(chunk.count(b"<testsuite ") <= 1 for chunk in chunks)
    assert sum(chunk.count(b"<testsuite ") for chunk in chunks) == len(result.outcomes)


def test_junit_without_rules_is_one_empty_element(result: RunResult) -> None:
    empty = dataclasses.replace(
        result,
        outcomes=[],
        findings=result.findings.iloc[:0],
        due_soon=result.due_soon.iloc[:0],
        in_scope=result.in_scope.iloc[:0],
    )
    assert render_junit(empty) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="casecheck" tests="0" failures="0" errors="0" skipped="0" />\n'
    )
    assert render_junit(empty) == _junit_reference(empty)


# --- HTML ------------------------------------------------------------------------------------


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if "id" in a}


@pytest.fixture(scope="module")
def page(result: RunResult) -> _Page:
    parser = _Page()
    parser.feed(render_html(result))
    return parser


def test_html_sections(result: RunResult, page: _Page) -> None:
    ids = page.ids()
    assert {"headline", "teams", "team-chart", "rules", "rule-chart", "exceptions"} <= ids
    assert {"children", "skipped"} <= ids
    svgs = [a["id"] for t, a in page.tags if t == "svg"]
    assert svgs == ["team-chart", "rule-chart"]
    bars = [a for t, a in page.tags if t == "rect" and a.get("class") == "bar"]
    # A bar for each team and each rule that ran with someone in scope (a compliance to draw).
    ran = sum(o.status == "ran" and o.compliance is not None for o in result.outcomes)
    assert len(bars) == len(summary.teams(result)) + ran
    rows = [a for t, a in page.tags if t == "tr" and "data-severity" in a]
    assert len(rows) == len(result.findings)
    assert {a["data-team"] for a in rows} == set(result.findings["team"])
    children = {a["id"] for t, a in page.tags if t == "section" and a.get("class") == "child"}
    assert {anchor(p) for p in result.findings["PERSON_ID"]} <= children
    selects = {a["id"] for t, a in page.tags if t == "select"}
    assert selects == {"f-team", "f-severity", "f-rule"}


def test_html_links_stay_inside_the_page(page: _Page) -> None:
    ids = page.ids()
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        for key in ("href", "xlink:href", "action"):
            if key in attrs:
                assert attrs[key].startswith("#") and attrs[key][1:] in ids, (tag, attrs)


def test_html_escapes_and_names_children_only_by_id(result: RunResult) -> None:
    html = render_html(result)
    assert "=HYPERLINK(&#34;http://evil.example/x&#34;,&#34;click&#34;)" in html
    assert EVIL_TEAM not in html
    assert "not run: no missing_episodes.csv in this export" in html
    assert "RuntimeError in run.py line " in html
    assert not re.search(r"(src|href)\s*=\s*[\"']?\s*(https?:|//)", html)


def test_html_template_reads_a_rows_keys_first_and_falls_back_as_jinja_does() -> None:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    page = env.from_string("{{ row.team }}|{{ row.items }}|{{ day.year }}|{{ row.get('x', 4) }}")
    assert page.render(row={"team": "<A>", "items": 2}, day=dt.date(2026, 1, 2)) == (
        "&lt;A&gt;|2|2026|4"
    )
    with pytest.raises(jinja2.UndefinedError, match="has no attribute 'worker'"):
        env.from_string("{{ row.worker }}").render(row={"team": "A"})


def test_anchor_is_one_safe_id_per_person() -> None:
    assert anchor("P000014") == "child-P000014"
    assert anchor("A B") != anchor("A_B")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", anchor('x"<y> z/é'))


# --- determinism -----------------------------------------------------------------------------


def test_tables_reports_share_are_built_once_per_result(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    """by_team and actions are worked out once per result (every report reads them); a new
    result (here a copy, or one narrowed to a team) gets its own."""
    calls: list[str] = []
    by = summary._by
    monkeypatch.setattr(summary, "_by", lambda r, key: calls.append(key) or by(r, key))
    fresh = dataclasses.replace(result)
    assert summary.by_team(fresh).equals(summary.by_team(fresh))
    assert calls == ["team"]
    summary.by_team(dataclasses.replace(result))
    assert calls == ["team", "team"]
    team = summary.teams(result)[0]
    narrowed = summary.narrow(result, team)
    assert set(summary.actions(narrowed)["team"]) == {team}
    assert len(summary.actions(narrowed)) < len(summary.actions(result))


def test_a_report_changing_a_shared_table_changes_nothing_for_the_next(result: RunResult) -> None:
    actions = summary.actions(result)
    before = actions.copy()
    actions["message"] = "changed"
    actions.loc[actions.index[0], "worker"] = "someone else"
    assert summary.actions(result).equals(before)


def test_rendering_twice_gives_the_same_output(result: RunResult) -> None:
    assert render_xlsx(result) == render_xlsx(result)
    assert render_html(result) == render_html(result)
    assert render_junit(result) == render_junit(result)


def test_workbook_is_dated_by_as_of_not_the_clock(result: RunResult) -> None:
    """Its properties carry the as-of date; its zip members a fixed date (zip stops at 2107)."""
    data = render_xlsx(result)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert {i.date_time for i in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    props = openpyxl.load_workbook(io.BytesIO(data)).properties
    assert props.created == props.modified == dt.datetime(2026, 10, 30)
