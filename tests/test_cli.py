"""The command line as a user drives it: `casecheck.cli.main(argv)`, its output and exit code.

Exit codes (README): 0 nothing at or above --fail-on, 1 exceptions (or --strict and a rule not
run), 2 unusable export/config/rules/options, 3 internal error. Each expensive run of the sample
export is made once per module; everything that does not need 300 children uses a tiny export.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import Run, run

import casecheck.engine.run
import casecheck.report.junit
from casecheck.cli import main
from casecheck.report.formats import REPORTERS
from casecheck.weekly.history import slug

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_exports"
RULES = ROOT / "rules"
ANSI = re.compile(r"\x1b\[")
EXTENSIONS = {name: reporter.extension for name, reporter in REPORTERS.items()}
CASE_CHILD = "P000012"  # in care, with exceptions, documents and a reason for a placement change
TEAM = "Children in Care 1"


def run_capsys(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    """The same through pytest's capture (stdout is not a terminal)."""
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = caught.value.code
    assert isinstance(code, int)
    return Run(code, out, err)


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


# One child allocated to "Team A", with a supervision note written up on time and a home-visit
# note recorded 13 working days late: only case-notes-timely (severity low) finds an exception.
TINY = {
    "persons.csv": "PERSON_ID,DATE_OF_BIRTH\nC1,2015-03-01\n",
    "allocations.csv": (
        "ALLOCATION_ID,PERSON_ID,WORKER_ID,WORKER_NAME,TEAM_NAME,START_DATE,END_DATE\n"
        "A1,C1,W1,Sam Worker,Team A,2026-10-01,\n"
    ),
    "case_notes.csv": (
        "CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON,CREATED_BY,STATUS\n"
        "N1,C1,Case Supervision,2026-10-05,2026-10-05,W1,COMPLETE\n"
        "N2,C1,Home Visit,2026-10-01,2026-10-20,W1,COMPLETE\n"
    ),
}
TINY_AS_OF = "2026-10-30"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("tiny"), TINY)


@pytest.fixture(scope="module")
def sample_plain() -> Run:
    """`casecheck check sample_exports`, piped."""
    return run("check", SAMPLE)


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path, Path]:
    """Every format written to a folder, twice (for determinism)."""
    folders = [tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")]
    runs = []
    for folder in folders:
        formats = [arg for fmt in EXTENSIONS for arg in ("--format", fmt)]
        done = run("check", SAMPLE, *formats, "--output", folder)
        runs.append(done._replace(err=done.err.replace(str(folder), "FOLDER")))
    assert runs[0] == runs[1]
    return runs[0], folders[0], folders[1]


@pytest.fixture(scope="module")
def sample_no_color_never() -> Iterator[Run]:
    """`NO_COLOR=1 casecheck check sample_exports --fail-on never`, piped."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_COLOR", "1")
        yield run("check", SAMPLE, "--fail-on", "never")


@pytest.fixture(scope="module")
def team_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    folder = tmp_path_factory.mktemp("team")
    args = ("--format", "csv", "--format", "text", "--output", folder)
    return run("check", SAMPLE, "--team", TEAM, *args), folder


@pytest.fixture(scope="module")
def case_text() -> Run:
    return run("case", CASE_CHILD, SAMPLE)


@pytest.fixture(scope="module")
def case_json() -> Run:
    return run("case", CASE_CHILD, SAMPLE, "--format", "json")


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


SAMPLE_NAME = "casecheck-synthetic-borough-council-sample-data-not-real-people-2026-10-30"


def rule_ids() -> list[str]:
    return sorted(p.stem for p in RULES.glob("*.yaml"))


def assert_no_traceback(result: Run) -> None:
    assert "Traceback" not in result.out + result.err


# --- check: exit codes and --fail-on ---------------------------------------------------------


def test_check_sample_exits_1_at_default_fail_on(sample_plain: Run) -> None:
    assert sample_plain.code == 1
    assert sample_plain.err == ""
    assert sample_plain.out.startswith(f"casecheck: {SAMPLE} as of 30/10/2026\n")
    for heading in ("By team", "By rule", "To chase first"):
        assert heading in sample_plain.out


def test_fail_on_never_exits_0(sample_no_color_never: Run) -> None:
    assert sample_no_color_never.code == 0
    assert "By rule" in sample_no_color_never.out


@pytest.mark.parametrize(
    ("fail_on", "code"), [("low", 1), ("medium", 0), ("high", 0), ("never", 0)]
)
def test_fail_on_threshold_with_only_a_low_exception(tiny: Path, fail_on: str, code: int) -> None:
    result = run("check", tiny, "--as-of", TINY_AS_OF, "--fail-on", fail_on, "--format", "json")
    assert result.code == code
    document = json.loads(result.out)
    assert [(e["rule_id"], e["severity"]) for e in document["exceptions"]] == [
        ("case-notes-timely", "low")
    ]


# --- exit 2: unusable input ------------------------------------------------------------------


def test_missing_required_column_exits_2_with_the_message_on_stderr(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "export", {"persons.csv": "PERSON_ID,GENDER\nC1,F\n"})
    result = run("check", folder)
    assert result.code == 2
    assert result.out == ""
    assert "persons.csv" in result.err
    assert "missing the required column DATE_OF_BIRTH" in result.err
    assert_no_traceback(result)


def damaged_rules(tmp_path: Path, old: str, new: str) -> tuple[Path, Path, int]:
    """A copy of rules/ with line `old` of case-notes-timely.yaml replaced by line(s) `new`.

    Returns the folder, the damaged file and the line number of the last line of `new`.
    """
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / "case-notes-timely.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    [index] = [i for i, line in enumerate(lines) if line.strip() == old]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    added = [indent + part for part in new.splitlines()]
    lines[index : index + 1] = added
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, path, index + len(added)


@pytest.mark.parametrize("command", ["check", "rules list"])
def test_rule_file_with_an_unknown_key_exits_2_naming_file_and_line(
    tmp_path: Path, tiny: Path, command: str
) -> None:
    folder, path, line = damaged_rules(tmp_path, "severity: low", "severity: low\ncolour: blue")
    args = ["check", tiny] if command == "check" else ["rules", "list"]
    result = run(*args, "--rules", folder)
    assert result.code == 2
    assert f"{path}, line {line}" in result.err
    assert 'unknown key "colour"' in result.err
    assert_no_traceback(result)


def test_rule_file_with_a_bad_duration_exits_2_naming_file_and_value(
    tmp_path: Path, tiny: Path
) -> None:
    folder, path, _ = damaged_rules(tmp_path, "within: 5 working days", "within: 5 wd")
    result = run("check", tiny, "--rules", folder)
    assert result.code == 2
    assert f"{path}, line " in result.err
    assert '"5 wd"' in result.err
    assert "within" in result.err
    assert_no_traceback(result)


def test_rule_file_with_a_bad_duration_names_the_line_of_the_value(
    tmp_path: Path, tiny: Path
) -> None:
    folder, path, line = damaged_rules(tmp_path, "within: 5 working days", "within: 5 wd")
    result = run("check", tiny, "--rules", folder)
    assert f"{path}, line {line}:" in result.err


def test_bad_as_of_exits_2_with_a_clear_message(tiny: Path) -> None:
    result = run("check", tiny, "--as-of", "2026-13-01")
    assert result.code == 2
    assert "--as-of" in result.err
    assert '"2026-13-01" is not a date; write it as YYYY-MM-DD' in result.err
    assert_no_traceback(result)


def test_xlsx_without_output_exits_2_with_a_clear_message(tiny: Path) -> None:
    result = run("check", tiny, "--as-of", TINY_AS_OF, "--format", "xlsx")
    assert result.code == 2
    assert "--format xlsx writes a file: give --output PATH" in result.err
    assert result.out == ""
    assert_no_traceback(result)


def test_several_formats_without_output_exit_2(tiny: Path) -> None:
    result = run("check", tiny, "--as-of", TINY_AS_OF, "--format", "csv", "--format", "json")
    assert result.code == 2
    assert "several --format values need --output FOLDER" in result.err


def test_unknown_team_exits_2_listing_the_teams(tiny: Path) -> None:
    result = run("check", tiny, "--as-of", TINY_AS_OF, "--team", "Nope")
    assert result.code == 2
    assert 'no team "Nope" in this export (teams: Team A)' in result.err
    assert_no_traceback(result)


# --- --strict and rules that cannot run ------------------------------------------------------


@pytest.fixture(scope="module")
def persons_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("persons_only")
    shutil.copy(SAMPLE / "persons.csv", folder / "persons.csv")
    return folder


def test_an_export_where_no_rule_can_run_is_never_a_quiet_pass(persons_only: Path) -> None:
    result = run("check", persons_only, "--as-of", TINY_AS_OF, "--format", "json")
    assert result.code == 1
    assert result.err == (
        "warning: no rule could run on this export, so nothing was checked "
        "(each rule's reason is in the report); exit 1\n"
    )
    document = json.loads(result.out)
    assert document["exceptions"] == []
    assert sorted(r["rule_id"] for r in document["rules"]) == rule_ids()
    for rule in document["rules"]:
        assert rule["status"] == "not_run", rule
        assert rule["reason"].startswith("no "), rule


def test_rules_that_cannot_run_fail_with_strict(persons_only: Path) -> None:
    result = run("check", persons_only, "--as-of", TINY_AS_OF, "--strict")
    assert result.code == 1
    assert "not run" in result.out


# --- exit 3: internal errors -----------------------------------------------------------------


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("engine exploded")


def test_internal_error_exits_3_without_a_traceback(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casecheck.engine.run, "run_rules", _broken)
    result = run("check", tiny)
    assert result.code == 3
    assert "internal error (RuntimeError)" in result.err
    assert "engine exploded" not in result.err  # the text could quote data: only with --debug
    assert "please report" in result.err
    assert "--debug" in result.err
    assert_no_traceback(result)


def test_internal_error_with_debug_shows_the_traceback(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casecheck.engine.run, "run_rules", _broken)
    result = run("--debug", "check", tiny)
    assert result.code == 3
    assert "Traceback (most recent call last)" in result.err
    assert "RuntimeError: engine exploded" in result.err
    assert "please report" in result.err


def test_interrupt_exits_130(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(casecheck.engine.run, "run_rules", interrupt)
    result = run("check", tiny)
    assert result.code == 130
    assert "Interrupted." in result.err
    assert_no_traceback(result)


def test_a_document_written_in_parts_that_fails_midway_leaves_no_file(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JUnit is written a rule at a time: a failure after the first part must not leave half
    a document to be read as the result (nor an older file of the same name)."""
    target = tmp_path / "results.xml"
    target.write_text("last week's")
    monkeypatch.setattr(casecheck.report.junit, "_cases", _broken)
    result = run("check", tiny, "--format", "junit", "--output", target)
    assert result.code == 3
    assert "internal error (RuntimeError)" in result.err
    assert not target.exists()
    assert_no_traceback(result)


def test_junit_on_stdout_is_the_document_written_to_a_file(tiny: Path, tmp_path: Path) -> None:
    target = tmp_path / "results.xml"
    written = run("check", tiny, "--format", "junit", "--output", target)
    piped = run("check", tiny, "--format", "junit")
    assert written.code == piped.code == 1
    assert piped.out == target.read_text(encoding="utf-8")
    assert piped.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')


# --- --team ----------------------------------------------------------------------------------


def test_team_narrows_every_view(
    team_files: tuple[Run, Path], sample_files: tuple[Run, Path, Path]
) -> None:
    result, folder = team_files
    assert result.code == 1
    assert result.out == ""
    rows = csv_rows(folder / f"{SAMPLE_NAME}-{slug(TEAM)}.csv")
    assert rows
    # A rule that could not run on the export (no cp_plans.csv in the sample) is one row of its
    # own, with no child and so no team; every other row is the team's.
    exceptions = [r for r in rows if r["status"] != "not_run"]
    assert exceptions
    assert {r["team"] for r in exceptions} == {TEAM}
    assert {r["team"] for r in rows if r["status"] == "not_run"} <= {""}
    everyone = csv_rows(sample_files[1] / f"{SAMPLE_NAME}.csv")
    assert exceptions == [r for r in everyone if r["team"] == TEAM]
    assert [r for r in rows if r["status"] == "not_run"] == [
        r for r in everyone if r["status"] == "not_run"
    ]
    text = (folder / f"{SAMPLE_NAME}-{slug(TEAM)}.txt").read_text(encoding="utf-8")
    assert text.startswith(f"casecheck: {SAMPLE} as of 30/10/2026 - team {TEAM}\n")
    assert "By worker" in text
    assert "By team" not in text


# --- case ------------------------------------------------------------------------------------


def test_case_shows_the_childs_rules_and_evidence(case_text: Run, case_json: Run) -> None:
    assert case_text.code == 1  # the child has exceptions
    assert case_text.err == ""
    text = case_text.out
    assert text.startswith(f"Child {CASE_CHILD} as of 2026-10-30\n")
    for rule_id in rule_ids():
        assert re.search(rf"^  \[[a-z ]+\] {re.escape(rule_id)}: ", text, re.M), rule_id
    assert "[exception] cla-reviews-timely" in text
    assert "Evidence on file:\n" in text

    assert case_json.code == 1
    view = json.loads(case_json.out)
    assert view["person_id"] == CASE_CHILD
    assert [r["rule_id"] for r in view["rules"]] == rule_ids()
    assert view["exceptions"] == sum(len(r["exceptions"]) for r in view["rules"]) > 0
    assert view["evidence"]
    for item in view["evidence"]:
        assert set(item) == {"kind", "where", "date", "ref"}
        assert f"({item['ref']})" in text


def test_case_agrees_with_check(case_json: Run, sample_files: tuple[Run, Path, Path]) -> None:
    view = json.loads(case_json.out)
    rows = csv_rows(sample_files[1] / f"{SAMPLE_NAME}.csv")
    mine = sorted(r["message"] for r in rows if r["PERSON_ID"] == CASE_CHILD)
    assert mine == sorted(e["message"] for r in view["rules"] for e in r["exceptions"])


def test_unknown_child_exits_2() -> None:
    result = run("case", "NOPE", SAMPLE)
    assert result.code == 2
    assert "NOPE: no child with this PERSON_ID in persons.csv" in result.err
    assert result.out == ""
    assert_no_traceback(result)


# --- free text is never shown ----------------------------------------------------------------


def free_text_values() -> set[str]:
    """Every non-blank TITLE, REASON_FOR_PLACEMENT_CHANGE and DELAY_REASON in the sample export."""
    values = {r["TITLE"] for r in csv_rows(SAMPLE / "documents.csv")}
    values |= {r["REASON_FOR_PLACEMENT_CHANGE"] for r in csv_rows(SAMPLE / "placements.csv")}
    values |= {r["DELAY_REASON"] for r in csv_rows(SAMPLE / "workflow_steps.csv")}
    values.discard("")
    return values


def test_the_case_child_has_free_text_to_hide() -> None:
    documents = [r for r in csv_rows(SAMPLE / "documents.csv") if r["PERSON_ID"] == CASE_CHILD]
    placements = [r for r in csv_rows(SAMPLE / "placements.csv") if r["PERSON_ID"] == CASE_CHILD]
    assert any(r["TITLE"] for r in documents)
    assert any(r["REASON_FOR_PLACEMENT_CHANGE"] for r in placements)


def xlsx_text(path: Path) -> str:
    workbook = openpyxl.load_workbook(path, read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    workbook.close()
    return "\n".join(cells)


@pytest.mark.parametrize(
    "output",
    [
        "check stdout",
        *(f"check --format {fmt}" for fmt in EXTENSIONS),
        "case text",
        "case json",
    ],
)
def test_free_text_columns_never_appear(
    output: str,
    sample_plain: Run,
    sample_files: tuple[Run, Path, Path],
    case_text: Run,
    case_json: Run,
) -> None:
    if output == "check stdout":
        shown = sample_plain.out + sample_plain.err
    elif output == "case text":
        shown = case_text.out + case_text.err
    elif output == "case json":
        shown = case_json.out + case_json.err
    else:
        fmt = output.rsplit(" ", 1)[1]
        path = sample_files[1] / f"{SAMPLE_NAME}.{EXTENSIONS[fmt]}"
        shown = xlsx_text(path) if fmt == "xlsx" else path.read_text(encoding="utf-8")
    leaked = sorted(v for v in free_text_values() if v in shown)
    assert not leaked, f"free text shown in {output}: {leaked[:5]}"


# --- rules -----------------------------------------------------------------------------------


def test_rules_list_lists_every_rule_file_grouped_by_area() -> None:
    """A heading per area in the issue's order (looked after first, all open cases last), each
    rule once under the area its file names, sorted by id within the area."""
    result = run("rules", "list")
    assert result.code == 0
    groups: dict[str, list[str]] = {}
    for line in result.out.splitlines():
        if line and not line.startswith(" "):
            heading = line
            groups[heading] = []
        elif line:
            assert line.split()[1] in {"high", "medium", "low"}
            groups[heading].append(line.split()[0])
    areas = {p.stem: re.search(r"^area: (\w+)$", p.read_text(), re.M) for p in RULES.glob("*.yaml")}
    expected: dict[str, list[str]] = {}
    for area in ["looked_after", "child_protection", "children_in_need", "care_leavers",
                 "all_open_cases"]:  # fmt: skip
        ids = sorted(k for k, m in areas.items() if m and m.group(1) == area)
        if ids:
            expected[area.replace("_", " ").capitalize()] = ids
    assert groups == expected
    assert list(groups) == list(expected)
    assert sorted(i for ids in groups.values() for i in ids) == rule_ids()
    line = next(x for x in result.out.splitlines() if x.split()[:1] == ["cla-visits"])
    assert line.split(maxsplit=2)[1:] == [
        "high",
        "Statutory visits to looked-after children, with the child seen",
    ]


def test_rules_explain_shows_why_source_and_checks() -> None:
    result = run("rules", "explain", "cla-visits")
    assert result.code == 0
    headings = [line for line in result.out.splitlines() if not line.startswith(" ")]
    for heading in ("Rule:", "Severity:", "Area:", "Why:", "How to fix:", "Source:"):
        assert heading in headings
    assert "Check 'after-move':" in headings
    assert "Check 'every-6-weeks':" in headings
    assert "reg 28(2)" in result.out
    assert "Area:\n  Looked after\n" in result.out


def test_rules_explain_unknown_rule_exits_2() -> None:
    result = run("rules", "explain", "nope")
    assert result.code == 2
    assert 'no rule "nope"' in result.err
    assert "casecheck rules list" in result.err
    assert_no_traceback(result)


# --- validate --------------------------------------------------------------------------------


def test_validate_sample_exits_0() -> None:
    result = run("validate", SAMPLE)
    assert result.code == 0
    assert result.out.startswith(f"Export: {SAMPLE}\n")
    assert result.out.endswith("0 problems found.\n")


def test_validate_json_shape() -> None:
    result = run("validate", SAMPLE, "--format", "json")
    assert result.code == 0
    document = json.loads(result.out)
    assert set(document) == {
        "schema_version",
        "export",
        "tables",
        "mapping",
        "lookup_files",
        "absent_tables",
        "problems",
    }
    assert document["schema_version"] == 1
    assert document["export"] == str(SAMPLE)
    assert document["problems"] == []
    assert document["absent_tables"] == []
    assert document["tables"]["persons"]["read"] == 300
    for name, table in document["tables"].items():
        assert set(table) >= {"file", "encoding", "read", "used", "set_aside"}, name
        assert table["read"] == table["used"] + table["set_aside"], name


def test_validate_json_with_problems_exits_1(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "export", {"persons.csv": "PERSON_ID,DATE_OF_BIRTH\nC1,31/02/2010\n"}
    )
    result = run("validate", folder, "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    [problem] = document["problems"]
    assert problem["file"] == "persons.csv"
    assert problem["row"] == 2
    assert problem["column"] == "DATE_OF_BIRTH"
    assert problem["row_set_aside"] is True
    assert document["tables"]["persons"]["set_aside"] == 1


# --- plain output when piped -----------------------------------------------------------------


def test_piped_output_is_plain_text(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    assert not sys.stdout.isatty()
    result = run_capsys(capsys, "check", tiny, "--as-of", TINY_AS_OF)
    assert result.code == 1
    assert not ANSI.search(result.out + result.err)
    assert result.out.startswith(f"casecheck: {tiny} as of 30/10/2026\n")
    assert "+----" in result.out  # ASCII tables


def test_piped_sample_is_the_text_format(
    sample_plain: Run, sample_files: tuple[Run, Path, Path]
) -> None:
    assert not ANSI.search(sample_plain.out)
    text = (sample_files[1] / f"{SAMPLE_NAME}.txt").read_text(encoding="utf-8")
    assert sample_plain.out == text


def test_no_color_output_has_no_escape_codes(sample_no_color_never: Run, sample_plain: Run) -> None:
    assert not ANSI.search(sample_no_color_never.out + sample_no_color_never.err)
    assert sample_no_color_never.out == sample_plain.out


def test_errors_have_no_escape_codes_when_piped(tiny: Path) -> None:
    result = run("check", tiny, "--as-of", "2026-13-01")
    assert not ANSI.search(result.err)


def test_no_color_on_a_terminal_is_plain_text(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    result = run_capsys(capsys, "check", tiny, "--as-of", TINY_AS_OF)
    assert not ANSI.search(result.out)


# --- files and determinism -------------------------------------------------------------------


def test_several_formats_write_one_file_each(sample_files: tuple[Run, Path, Path]) -> None:
    result, folder, _ = sample_files
    assert result.code == 1
    assert result.out == ""
    assert result.err == "".join(
        f"Wrote FOLDER/{SAMPLE_NAME}.{ext}\n" for ext in EXTENSIONS.values()
    )
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{SAMPLE_NAME}.{ext}" for ext in EXTENSIONS.values())
    for path in folder.iterdir():
        assert path.stat().st_size > 0, path.name
    assert json.loads((folder / f"{SAMPLE_NAME}.json").read_text(encoding="utf-8"))
    openpyxl.load_workbook(folder / f"{SAMPLE_NAME}.xlsx").close()


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_two_runs_are_byte_identical(fmt: str, sample_files: tuple[Run, Path, Path]) -> None:
    _, first, second = sample_files
    name = f"{SAMPLE_NAME}.{EXTENSIONS[fmt]}"
    assert (first / name).read_bytes() == (second / name).read_bytes(), name


# --- found by a second reading of the code ---------------------------------------------------


def test_overlapping_open_periods_and_markup_in_names_are_data_not_crashes(tmp_path: Path) -> None:
    """Two open allocations for one child used to overflow; "[/]" in a team name was markup."""
    (tmp_path / "persons.csv").write_text("PERSON_ID,DATE_OF_BIRTH\nP1,2015-01-01\nP2,2015-01-01\n")
    (tmp_path / "allocations.csv").write_text(
        "ALLOCATION_ID,PERSON_ID,WORKER_ID,WORKER_NAME,TEAM_NAME,START_DATE,END_DATE\n"
        "A1,P1,W1,[/bold],Team [/],2025-01-01,\n"
        "A2,P2,W2,Bob,CiC [north],2025-01-01,\n"
        "A3,P2,W3,Ann,CiC [north],2025-03-03,\n"
    )
    (tmp_path / "placements.csv").write_text(
        "PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE\nL1,P2,2025-01-01,\nL2,P2,2025-02-01,\n"
    )
    (tmp_path / "case_notes.csv").write_text(
        "CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON\n"
        "N1,P1,Visit,2025-05-01,2025-05-30\nN2,P2,Visit,2025-05-01,2025-05-30\n"
    )
    result = run("check", tmp_path, "--as-of", "2025-06-01", "--format", "text")
    assert result.code == 1, result.err
    assert "| Team [/]    |" in result.out
    assert "| CiC [north] |" in result.out
    assert_no_traceback(result)


def test_an_output_path_that_cannot_be_written_is_exit_2(tiny: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run("check", tiny, "--format", "json", "--output", blocker / "results.json")
    assert result.code == 2
    assert result.err.startswith(f"error: --output {blocker / 'results.json'}: cannot be written (")
    assert_no_traceback(result)
    result = run("check", tiny, "--format", "json", "--format", "csv", "--output", blocker)
    assert result.code == 2
    assert f"--output {blocker} is a file; with several --format values give a folder" in (
        result.err
    )


def test_a_duration_over_a_century_is_refused_at_load(tmp_path: Path, tiny: Path) -> None:
    folder, path, line = damaged_rules(tmp_path, "lookback: 90 days", "lookback: 99999 months")
    result = run("check", tiny, "--rules", folder)
    assert result.code == 2
    assert result.err.startswith(f"error: {path}, line {line}: at checks > recorded > lookback: ")
    assert '"99999 months" is longer than a century; write at most 1200 months' in result.err


def test_evidence_on_a_table_that_holds_no_evidence_is_refused_at_load(
    tmp_path: Path, tiny: Path
) -> None:
    folder, path, line = damaged_rules(
        tmp_path, "table: case_notes", "table: visits\nevidence: supervision"
    )
    result = run("check", tiny, "--rules", folder)
    assert result.code == 2
    assert result.err.startswith(
        f"error: {path}, line {line}: at checks > recorded > evidence: "
        "visits rows are not evidence of a kind."
    )


def test_a_bad_override_is_blamed_on_casecheck_yaml_not_the_rule_file(
    tmp_path: Path, tiny: Path
) -> None:
    config = tmp_path / "council.yaml"
    config.write_text(
        "rules:\n  cla-visits:\n    checks:\n      after-move:\n        evidence: {kind: nothing}\n"
    )
    result = run("check", tiny, "--config", config)
    assert result.code == 2
    assert result.err.startswith(
        f"error: {config}, line 5: at rules > cla-visits > checks > after-move > evidence > "
        'kind: unknown evidence kind "nothing". Use one of '
    )
