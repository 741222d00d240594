"""A scripted four-week scenario: new, still open, fixed, dropped out, reopened, waived, a
waiver that lapses and a stale one, checked in JSON, CSV and the text summary, with a history
folder keeping the runs."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest

from casecheck.cli import main

RULE = """\
id: method-recorded
title: Visit method recorded
severity: high
area: all_open_cases
source: Local recording standard (test).
why: Test rule.
how_to_fix: Record the method.
scope: allocated
checks:
  method:
    kind: records
    table: visits
    date: ACTUAL_DATE
    lookback: 3 months
    require:
      VISIT_METHOD: recorded
    what: Visit on
"""

WEEKS = ["2026-03-06", "2026-03-13", "2026-03-20", "2026-03-27"]

# Each child's story, week by week (index into WEEKS):
# C1 never gets a method: new, then still open for three weeks.
# C2 is fixed in week 2 and blanked again in week 3: fixed, then reopened.
# C3's visit is 3 months old by week 2: it drops out of the look-back period.
# C4 is waived until 16/03/2026: waived in weeks 1-2, back with a lapsed waiver in week 3.
# C5 has nothing to waive: its waiver is stale.
# C6's case closes on 10/03/2026: dropped out in week 2 (case closed).
METHOD = {
    "C1": ["", "", "", ""],
    "C2": ["", "Face to face", "", ""],
    "C3": ["", "", "", ""],
    "C4": ["", "", "", ""],
    "C5": ["Video", "Video", "Video", "Video"],
    "C6": ["", "", "", ""],
}
VISIT_DATE = {"C3": "2025-12-10"}
WAIVERS = """\
waivers:
  - rule: method-recorded
    child: C4
    reason: Worker on leave; method confirmed by phone
    approved_by: TM Lee
    approved_on: 2026-03-01
    expires: 2026-03-16
  - rule: method-recorded
    child: C5
    reason: Not needed
    approved_by: TM Lee
    approved_on: 2026-03-01
    expires: 2026-06-01
"""


def _export(folder: Path, week: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    children = sorted(METHOD)
    (folder / "persons.csv").write_text(
        "PERSON_ID,DATE_OF_BIRTH\n" + "".join(f"{c},2012-05-01\n" for c in children)
    )
    allocations = ["ALLOCATION_ID,PERSON_ID,WORKER_ID,WORKER_NAME,TEAM_NAME,START_DATE,END_DATE"]
    for c in children:
        end = "2026-03-10" if c == "C6" else ""
        allocations.append(f"A{c},{c},W1,Sam Worker,Team A,2025-01-01,{end}")
    (folder / "allocations.csv").write_text("\n".join(allocations) + "\n")
    visits = ["VISIT_ID,PERSON_ID,ACTUAL_DATE,VISIT_METHOD"]
    for c in children:
        visits.append(f"V{c},{c},{VISIT_DATE.get(c, '2026-03-02')},{METHOD[c][week]}")
    (folder / "visits.csv").write_text("\n".join(visits) + "\n")
    (folder / "waivers.yaml").write_text(WAIVERS)
    return folder


def _check(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    return int(exit_info.value.code or 0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """Run the four weeks with a history folder; each week's JSON, CSV rows and text."""
    root = tmp_path_factory.mktemp("weekly")
    rules = root / "rules"
    rules.mkdir()
    (rules / "method-recorded.yaml").write_text(RULE)
    history = root / "history"
    out: list[dict[str, object]] = []
    for week, as_of in enumerate(WEEKS):
        export = _export(root / f"export-{as_of}", week)
        target = root / f"out-{as_of}"
        base = ["check", str(export), "--rules", str(rules), "--as-of", as_of]
        formats = [a for f in ("json", "csv", "text", "html", "xlsx") for a in ("--format", f)]
        code = _check([*base, "--history", str(history), *formats, "--output", str(target)])
        files = {p.suffix: p for p in target.iterdir()}
        out.append(
            {
                "code": code,
                "json": json.loads(files[".json"].read_text()),
                "csv": list(csv.DictReader(io.StringIO(files[".csv"].read_text()))),
                "text": files[".txt"].read_text(),
                "html": files[".html"].read_text(),
                "xlsx": files[".xlsx"],
                "names": sorted(p.name for p in target.iterdir()),
            }
        )
    return out


def _since(run: dict[str, object]) -> dict[str, str]:
    doc = run["json"]
    assert isinstance(doc, dict)
    return {e["person_id"]: e["since_previous"] for e in doc["exceptions"]}


def _gone(run: dict[str, object], outcome: str) -> dict[str, str]:
    doc = run["json"]
    assert isinstance(doc, dict)
    return {g["person_id"]: g["why"] for g in doc["comparison"][outcome]}


def test_week_one_has_nothing_to_compare_with(runs: list[dict[str, object]]) -> None:
    first = runs[0]["json"]
    assert isinstance(first, dict)
    assert first["comparison"] is None
    assert _since(runs[0]) == {"C1": None, "C2": None, "C3": None, "C6": None}
    assert [w["person_id"] for w in first["waived"]] == ["C4"]
    assert first["waived"][0]["waiver"] == {
        "reason": "Worker on leave; method confirmed by phone",
        "approved_by": "TM Lee",
        "approved_on": "2026-03-01",
        "expires": "2026-03-16",
    }
    assert first["stale_waivers"] == [
        {
            "item": 2,
            "rule": "method-recorded",
            "child": "C5",
            "event": None,
            "fingerprint": None,
            "expires": "2026-06-01",
            "status": "in force",
        }
    ]


def test_week_two_fixed_and_dropped_out(runs: list[dict[str, object]]) -> None:
    assert _since(runs[1]) == {"C1": "open"}
    assert _gone(runs[1], "fixed") == {
        "C2": "the evidence is now recorded, or the condition has cleared"
    }
    assert _gone(runs[1], "dropped_out") == {
        "C3": "the event is now older than the rule's look-back period",
        "C6": "the case was closed",
    }
    doc = runs[1]["json"]
    assert isinstance(doc, dict)
    assert doc["comparison"]["counts"] == {
        "new": 0,
        "still_open": 1,
        "reopened": 0,
        "fixed": 1,
        "dropped_out": 2,
        "waived": 1,
    }
    assert doc["exceptions"][0]["first_seen"] == "2026-03-06"


def test_week_three_reopened_and_lapsed_waiver(runs: list[dict[str, object]]) -> None:
    assert _since(runs[2]) == {"C1": "open", "C2": "reopened", "C4": "new"}
    doc = runs[2]["json"]
    assert isinstance(doc, dict)
    by_child = {e["person_id"]: e for e in doc["exceptions"]}
    assert by_child["C4"]["waiver"] == "waiver approved by TM Lee lapsed on 16/03/2026"
    assert by_child["C2"]["first_seen"] == "2026-03-06"
    assert doc["waived"] == []
    assert runs[2]["code"] == 1


def test_week_four_still_open_and_ageing(runs: list[dict[str, object]]) -> None:
    assert _since(runs[3]) == {"C1": "open", "C2": "open", "C4": "open"}
    doc = runs[3]["json"]
    assert isinstance(doc, dict)
    assert {e["person_id"]: e["first_seen"] for e in doc["exceptions"]} == {
        "C1": "2026-03-06",
        "C2": "2026-03-06",
        "C4": "2026-03-20",
    }
    assert {e["person_id"]: e["weeks_open"] for e in doc["exceptions"]} == {
        "C1": 3,
        "C2": 3,
        "C4": 1,
    }


def test_csv_carries_the_same_fields(runs: list[dict[str, object]]) -> None:
    rows = runs[1]["csv"]
    assert isinstance(rows, list)
    status = sorted((r["PERSON_ID"], r["status"], r["since_previous"], r["why"]) for r in rows)
    assert status == [
        ("C1", "exception", "open", ""),
        ("C2", "fixed", "", "the evidence is now recorded, or the condition has cleared"),
        ("C3", "dropped_out", "", "the event is now older than the rule's look-back period"),
        ("C4", "waived", "", ""),
        ("C6", "dropped_out", "", "the case was closed"),
    ]
    waived = next(r for r in rows if r["status"] == "waived")
    assert waived["waiver"] == (
        "waived by TM Lee until 2026-03-16: Worker on leave; method confirmed by phone"
    )


def test_text_summary_says_what_moved(runs: list[dict[str, object]]) -> None:
    text = runs[2]["text"]
    assert isinstance(text, str)
    assert (
        "Since the run as of 13/03/2026: 1 new, 1 reopened, 1 still open; 0 fixed, "
        "0 dropped out (no longer due: aged out, left scope or closed)"
    ) in text
    assert "Waivers: 0 exceptions waived (not counted above), 1 with a lapsed waiver, " in text
    assert "New high-severity exceptions" in text


def test_history_keeps_each_run_compressed_and_named(
    runs: list[dict[str, object]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    names = runs[0]["names"]
    stem = "casecheck-export-2026-03-06-2026-03-06"
    assert names == [f"{stem}.{e}" for e in ("csv", "html", "json", "txt", "xlsx")]


def test_history_refuses_an_earlier_as_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path / "export", 0)
    history = tmp_path / "history"
    assert _check(
        [
            "check",
            str(export),
            "--as-of",
            "2026-03-13",
            "--history",
            str(history),
            "--format",
            "json",
            "--output",
            str(tmp_path / "a.json"),
        ]
    ) in (0, 1)
    stored = list(history.rglob("*.json.gz"))
    assert [p.name for p in stored] == ["2026-03-13.json.gz"]
    assert json.loads(gzip.decompress(stored[0].read_bytes()))["as_of"] == "2026-03-13"
    capsys.readouterr()
    assert (
        _check(
            [
                "check",
                str(export),
                "--as-of",
                "2026-03-06",
                "--history",
                str(history),
                "--format",
                "json",
            ]
        )
        == 2
    )
    assert capsys.readouterr().err == (
        f"error: --history {history}: already holds a run of this export as of 2026-03-13, "
        "after --as-of 2026-03-06. Check as of that date or later, or give another --history "
        "folder (use --previous FILE to compare with one particular run).\n"
    )


def test_a_run_whose_every_waiver_is_used_lists_no_stale_waiver(tmp_path: Path) -> None:
    """Every waiver matching an exception leaves none unused: an empty list, not an error."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "method-recorded.yaml").write_text(RULE)
    export = _export(tmp_path / "export", 0)
    used = WAIVERS[: WAIVERS.index("  - rule: method-recorded\n    child: C5")]
    (export / "waivers.yaml").write_text(used)
    out = tmp_path / "out.json"
    base = ["check", str(export), "--rules", str(rules), "--as-of", WEEKS[0], "--format", "json"]
    assert _check([*base, "--output", str(out)]) == 1
    doc = json.loads(out.read_text())
    assert doc["stale_waivers"] == []
    assert {w["person_id"] for w in doc["waived"]} == {"C4"}


def test_waive_adds_to_the_file_and_keeps_what_is_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from casecheck.weekly.waivers import add_months

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("# agreed at the QA panel\n" + WAIVERS)
    until = add_months(dt.date.today(), 2).isoformat()
    args = ["waive", "abc123", "--reason", "Refuses visits", "--by", "TM Lee"]
    assert _check([*args, "--until", until, "--waivers", str(waivers)]) == 0
    text = waivers.read_text()
    assert text.startswith("# agreed at the QA panel\n" + WAIVERS)
    assert text.endswith(
        "  - fingerprint: abc123\n    reason: Refuses visits\n    approved_by: TM Lee\n"
        f"    approved_on: {dt.date.today().isoformat()}\n    expires: {until}\n"
    )
    capsys.readouterr()
    too_late = add_months(dt.date.today(), 7).isoformat()
    assert _check([*args, "--until", too_late, "--waivers", str(waivers)]) == 2
    assert "is more than 6 months after today" in capsys.readouterr().err
    assert waivers.read_text() == text


def test_a_waiver_beyond_the_limit_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path / "export", 0)
    (export / "waivers.yaml").write_text(WAIVERS.replace("2026-06-01", "2026-12-01"))
    assert _check(["check", str(export), "--as-of", "2026-03-06", "--format", "json"]) == 2
    assert capsys.readouterr().err == (
        f"error: {export / 'waivers.yaml'}, line 13: at waivers > item 2 > expires: 2026-12-01 is "
        "more than 6 months after approved_on (2026-03-01). Set expires on or before 2026-09-01 "
        "and review the waiver then (the limit is waiver_max_months in casecheck.yaml).\n"
    )


def test_an_as_of_after_the_export_date_is_warned_and_refused_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path / "export", 0)
    (export / "casecheck.yaml").write_text("export_date: 2026-03-06\n")
    args = ["check", str(export), "--as-of", "2026-04-01", "--format", "json"]
    assert _check(args) == 1
    warning = (
        "--as-of 2026-04-01 is after the export was taken (export_date 2026-03-06): anything "
        "done since is not in it, so exceptions may be overstated"
    )
    assert f"warning: {warning}\n" in capsys.readouterr().err
    assert _check([*args, "--strict"]) == 2
    assert capsys.readouterr().err == (
        f"error: --as-of: {warning}. Give the date the export was taken (or drop --strict).\n"
    )


def test_an_output_file_name_with_several_formats_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path / "export", 0)
    target = tmp_path / "results.json"
    args = ["check", str(export), "--format", "json", "--format", "csv", "--output", str(target)]
    assert _check(args) == 2
    assert f"--output {target} looks like a file name" in capsys.readouterr().err
    assert not target.exists()


def test_an_output_never_overwrites_the_previous_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(tmp_path / "export", 0)
    last = tmp_path / "last.json"
    base = ["check", str(export), "--as-of", "2026-03-06", "--format", "json"]
    _check([*base, "--output", str(last)])
    before = last.read_bytes()
    capsys.readouterr()
    assert _check([*base, "--previous", str(last), "--output", str(last)]) == 2
    assert "would overwrite the previous run it is compared with" in capsys.readouterr().err
    assert last.read_bytes() == before


SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"


@pytest.fixture(scope="module")
def trend_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trend")
    formats = [a for f in ("text", "csv", "json", "html", "xlsx") for a in ("--format", f)]
    args = ["trend", str(SAMPLE), "--from", "2026-08-01", "--to", "2026-09-30", *formats]
    assert _check([*args, "--output", str(folder)]) == 0
    return folder


def test_trend_agrees_with_check_at_each_date(trend_files: Path, tmp_path: Path) -> None:
    document = json.loads(next(trend_files.glob("*.json")).read_text())
    assert document["dates"] == ["2026-08-31", "2026-09-30"]
    for day in document["dates"]:
        out = tmp_path / f"{day}.json"
        args = ["check", str(SAMPLE), "--as-of", day, "--format", "json", "--output", str(out)]
        _check([*args, "--fail-on", "never"])
        checked = json.loads(out.read_text())
        by_rule = {
            f["name"]: f["compliance"]
            for f in document["figures"]
            if f["as_of"] == day and f["level"] == "rule"
        }
        # The trend has a figure for each rule that ran (a rule not run, such as the CP rules
        # on a sample with no cp_plans.csv, has no compliance to chart).
        ran = {r["rule_id"]: r["compliance"] for r in checked["rules"] if r["status"] == "ran"}
        assert by_rule == ran
        kept = {(s["level"], s["name"]): s["compliance"] for s in checked["summary"]}
        trend = {
            (f["level"], f["name"]): f["compliance"]
            for f in document["figures"]
            if f["as_of"] == day
        }
        assert trend == kept


def test_trend_files_are_well_formed(trend_files: Path) -> None:
    import xml.etree.ElementTree as ET

    import openpyxl

    names = sorted(p.name for p in trend_files.iterdir())
    stem = "casecheck-trend-synthetic-borough-council-sample-data-not-real-people"
    assert names == [
        f"{stem}-2026-08-31-2026-09-30.{e}" for e in ("csv", "html", "json", "txt", "xlsx")
    ]
    page = next(trend_files.glob("*.html")).read_text()
    for svg in page.split("<svg")[1:]:
        ET.fromstring("<svg" + svg.split("</svg>")[0] + "</svg>")
    assert "<script" not in page
    book = openpyxl.load_workbook(next(trend_files.glob("*.xlsx")))
    assert book.sheetnames == ["All rules", "By rule", "By team", "Figures"]
    assert book["By rule"]["A1"].value == "By rule"
    rows = list(csv.DictReader(io.StringIO(next(trend_files.glob("*.csv")).read_text())))
    assert {r["level"] for r in rows} == {"overall", "rule", "team"}
    text = next(trend_files.glob("*.txt")).read_text()
    assert text.startswith(
        "Compliance trend, Synthetic Borough Council (sample data, not real people): "
        "31/08/2026 to 30/09/2026\n"
    )


def test_history_gives_each_rule_a_trend_line(runs: list[dict[str, object]]) -> None:
    text = runs[3]["text"]
    assert isinstance(text, str)
    row = next(line for line in text.splitlines() if line.startswith("| method-recorded"))
    # Compliance 2/6, 3/4, 1/4, 1/4: the eight ASCII levels are _.-=+*#@ (plain text).
    assert (
        row
        == "| method-recorded | high     |        4 |   1 (25%) |          3 |        0 | -#--  |"
    )


def test_trend_workbook_bytes_depend_on_the_figures_alone() -> None:
    import pandas as pd

    from casecheck.report.trend import trend_xlsx

    frame = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2026-01-31", "2026-02-28"]),
            "level": ["rule", "rule"],
            "name": ["=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0"],
            "children_in_scope": [4, 4],
            "children_with_exceptions": [1, 2],
            "exceptions": [1, 2],
            "compliance": [0.75, 0.5],
        }
    )
    first = trend_xlsx(frame, "t")
    assert trend_xlsx(frame, "t") == first
    import io as _io

    import openpyxl

    book = openpyxl.load_workbook(_io.BytesIO(first))
    cell = book["By rule"]["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=cmd|' /C calc'!A0", "s", True)


def test_the_workbook_carries_the_comparison_waivers_trend_and_actions(
    runs: list[dict[str, object]],
) -> None:
    import openpyxl

    path = runs[1]["xlsx"]
    assert isinstance(path, Path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary",
        "All exceptions",
        "Fixed or dropped out",
        "Waived",
        "Trend",
        "Team A",
    ]
    gone = [[c.value for c in row][:3] for row in book["Fixed or dropped out"].iter_rows()]
    assert gone == [
        ["Outcome", "Why", "PERSON_ID"],
        ["fixed", "the evidence is now recorded, or the condition has cleared", "C2"],
        ["dropped_out", "the event is now older than the rule's look-back period", "C3"],
        ["dropped_out", "the case was closed", "C6"],
    ]
    waived = [[c.value for c in row] for row in book["Waived"].iter_rows(min_row=2)]
    assert [(w[0], w[6], w[7]) for w in waived] == [
        ("C4", "Worker on leave; method confirmed by phone", "TM Lee")
    ]
    trend = [[c.value for c in row] for row in book["Trend"].iter_rows()]
    assert trend[0] == ["Level", "Name", "06/03/2026", "13/03/2026"]
    assert ["rule", "method-recorded", 0.3333, 0.75] in trend
    actions = [[c.value for c in row][:5] for row in book["Team A"].iter_rows()]
    assert actions == [
        ["Worker", "PERSON_ID", "Rule id", "Severity", "Action"],
        ["Sam Worker", "C1", "method-recorded", "high", "overdue"],
    ]
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["  fixed"] == 1
    assert summary["  dropped out"] == 2
    assert summary["Stale waivers (matching nothing)"] == 1
    sheet = book["All exceptions"]
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"


def test_the_html_page_carries_the_comparison_waivers_trend_and_actions(
    runs: list[dict[str, object]],
) -> None:
    page = runs[2]["html"]
    assert isinstance(page, str)
    assert '<a href="#since">Since 13/03/2026</a>' in page
    assert "1 new, 1 reopened, 1 still open;\n    0 fixed, 0 dropped out" in page
    assert '<h3 id="new">New and reopened (2)</h3>' in page
    assert "<h2>Waived (0)</h2>" in page
    assert "<strong>1 stale waiver</strong>" in page
    assert '<section id="trend">' in page and "<polyline" in page
    assert "<h4>Sam Worker</h4>" in page
    assert "@page { size: A4 landscape" in page


def test_plain_text_on_stdout_takes_the_width_it_is_given(
    runs: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    _check(["check", str(SAMPLE), "--format", "text", "--team", "Children in Care 1"])
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Actions for Frankie Kemp\nP000203: cla-reviews-timely (high, 162 days overdue)\n" in out


def test_the_action_list_as_csv(tmp_path: Path) -> None:
    out = tmp_path / "actions.csv"
    args = ["check", str(SAMPLE), "--format", "actions", "--output", str(out), "--fail-on", "never"]
    assert _check(args) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    frankie = [r for r in rows if r["worker"] == "Frankie Kemp"]
    assert [(r["PERSON_ID"], r["rule_id"], r["action"]) for r in frankie[:2]] == [
        ("P000203", "cla-reviews-timely", "overdue"),
        ("P000224", "cla-visits", "overdue"),
    ]
    ranks = [
        0
        if r["action"] == "overdue" and r["severity"] == "high"
        else 1
        if r["action"] == "overdue"
        else 2
        for r in frankie
    ]
    assert ranks == sorted(ranks)  # high first, then the rest overdue, then due soon
    assert {r["team"] for r in frankie} == {"Children in Care 1"}
