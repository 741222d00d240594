"""Hostile text in the data (line breaks, formulas, characters XML forbids, markup) reaches every
output as data: CSV records stay whole, the workbook, the JUnit XML and the HTML stay readable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import casecheck.cli
import casecheck.report.cells
from casecheck.cli import main
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.report.cells import NOT_XML_RE2, defuse, one_line
from casecheck.report.html import render_html
from casecheck.report.junit import render_junit
from casecheck.report.results import CSV_COLUMNS, results_csv
from casecheck.report.xlsx import render_xlsx, sheet_names

AS_OF = dt.date(2026, 10, 30)
# One child allocated to one worker, one case note written up late: one exception.
TINY = {
    "persons.csv": "PERSON_ID,DATE_OF_BIRTH\nC1,2015-03-01\n",
    "case_notes.csv": (
        "CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON,CREATED_BY,STATUS\n"
        "N1,C1,Case Supervision,2026-10-05,2026-10-05,W1,COMPLETE\n"
        "N2,C1,Home Visit,2026-10-01,2026-10-20,W1,COMPLETE\n"
    ),
}
# Every kind of trouble at once: line breaks followed by formulas, a TAB, characters XML 1.0
# forbids (C0 controls, U+FFFE, U+FFFF), rich markup and an HTML tag. A lone surrogate cannot
# come from the data (pyarrow refuses it) but can from a folder name that is not UTF-8.
NASTY_TEAM = "Team\r=1+1\n@SUM(A1)\r\n-2\t+3 \ufffe\uffff\x00\x1b[/][bold]<script>x</script>"
NASTY_FOLDER = Path("/exports/=week\udcff\x07\n1")
NASTY_WORKER = "\u2028=cmd|' /C calc'!A0\x0b"
NASTY_PERSON = "C1\x01\x1f"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_XML = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
NOT_XML += ["\ufffe", "\uffff", "\ud800"]


def run(*args: str | Path) -> tuple[int, str, str]:
    """`casecheck ARGS` as the console script runs it: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    assert isinstance(caught.value.code, int)
    return caught.value.code, out.getvalue(), err.getvalue()


def export(folder: Path, team: str = "Team A", worker: str = "Sam Worker") -> Path:
    """TINY with an allocation to `team` and `worker`, every cell quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(
        ["ALLOCATION_ID", "PERSON_ID", "WORKER_ID", "WORKER_NAME", "TEAM_NAME", "START_DATE"]
    )
    writer.writerow(["A1", "C1", "W1", worker, team, "2026-10-01"])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**TINY, "allocations.csv": buffer.getvalue()}.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


@pytest.fixture(scope="module")
def nasty(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A real run of the tiny export, then every text a report shows made hostile."""
    folder = export(tmp_path_factory.mktemp("nasty"))
    config = load_config(folder, None)
    result = run_rules(load_export(folder, config), load_rules(DEFAULT_RULES, config), AS_OF)
    assert len(result.findings) == 1
    hostile = {"team": NASTY_TEAM, "worker": NASTY_WORKER, "PERSON_ID": NASTY_PERSON}

    def hostile_frame(frame: pd.DataFrame, **extra: str) -> pd.DataFrame:
        values = {**hostile, **extra}
        # object columns: a lone surrogate cannot be put in an Arrow string column
        return frame.assign(
            **{c: pd.Series(v, index=frame.index, dtype=object) for c, v in values.items()}
        )

    return replace(
        result,
        export=replace(result.export, folder=NASTY_FOLDER),
        findings=hostile_frame(result.findings, message=NASTY_TEAM, nearest=NASTY_WORKER),
        in_scope=hostile_frame(result.in_scope),
        due_soon=hostile_frame(result.due_soon),
    )


def csv_records(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline="")))


def assert_no_live_formula(records: list[list[str]]) -> None:
    for record in records:
        assert len(record) == len(CSV_COLUMNS), record
        for cell in record:
            assert not cell.lstrip(" ").startswith(FORMULA_START), (cell, record)


# --- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize("brk", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_a_line_break_in_a_value_cannot_split_the_csv_record_or_start_a_formula(
    tmp_path: Path, brk: str
) -> None:
    team, worker = f"Team A{brk}=1+1", f"Sam{brk}@SUM(A1)"
    folder = export(tmp_path / "export", team, worker)
    target = tmp_path / "results.csv"
    code, _, err = run(
        "check", folder, "--as-of", "2026-10-30", "--format", "csv", "--output", target
    )
    assert code == 1, err
    out = target.read_bytes().decode("utf-8")  # the bytes as written, no newline translation
    records = csv_records(out)
    assert_no_live_formula(records)
    assert len(out.splitlines()) == len(records)  # no line break inside any record
    exception = next(r for r in records if r[0] == "C1")
    assert exception[1:3] == ["Team A =1+1", "Sam @SUM(A1)"]


def test_every_csv_cell_is_one_safe_line_whatever_the_text(nasty: RunResult) -> None:
    data = results_csv(nasty).decode("utf-8")
    records = csv_records(data)
    assert_no_live_formula(records)
    assert len(data.splitlines()) == len(records)
    row = dict(zip(CSV_COLUMNS, next(r for r in records if r[0].startswith("C1")), strict=True))
    assert row["PERSON_ID"] == "C1"
    assert row["team"] == "Team =1+1 @SUM(A1) -2 +3 [/][bold]<script>x</script>"
    assert row["worker"] == "' =cmd|' /C calc'!A0"
    for char in NOT_XML:
        assert char not in data


def test_defuse_prefixes_what_a_spreadsheet_would_run_after_cleaning() -> None:
    values = pd.Series(["=1", " +1", "\t-1", "a\n=1", "@x", "ok", None, "\u2029@y"], dtype=object)
    assert defuse(values).tolist() == ["'=1", "' +1", "' -1", "a =1", "'@x", "ok", "", "' @y"]
    assert one_line("a\r\nb\x00\ufffe\rc") == "a b c"


def test_the_re2_pattern_removes_what_not_xml_removes_from_text_arrow_holds() -> None:
    """Every code point but the surrogates (which Arrow text cannot hold), one per value."""
    points = [*range(0xD800), *range(0xE000, 0x110000, 7), 0xFFFE, 0xFFFF, 0x10FFFF]
    text = [chr(p) + "x" for p in points]
    arrow = pc.replace_substring_regex(pa.array(text), NOT_XML_RE2, "").to_pylist()
    assert arrow == [casecheck.report.cells.NOT_XML.sub("", t) for t in text]


# --- Excel -----------------------------------------------------------------------------------


def test_a_workbook_with_characters_xml_forbids_reopens_and_parses(nasty: RunResult) -> None:
    data = render_xlsx(nasty)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ET.fromstring(package.read(name))  # well-formed, or this raises
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert len(workbook.sheetnames) == 3
    team_sheet = workbook.worksheets[2]
    assert team_sheet.title == "Team =1+1 @SUM(A1) -2 +3 ____bo"
    values = [c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row]
    texts = [v for v in values if isinstance(v, str)]
    assert "Team =1+1 @SUM(A1) -2 +3 [/][bold]<script>x</script>" in texts
    assert " =cmd|' /C calc'!A0" in texts
    assert "/exports/=week 1" in texts
    for text in texts:
        assert not any(char in text for char in [*NOT_XML, "\r", "\n", "\t"]), text
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.lstrip(" ").startswith(FORMULA_START):
                    assert cell.data_type == "s" and cell.quotePrefix


def test_sheet_names_drop_what_xml_forbids_and_fit_31_utf16_units() -> None:
    names = sheet_names(["\ufffeA\x01B\uffff", "😀" * 20, "😀" * 20 + "x"])
    assert list(names.values()) == ["AB", "😀" * 15, "😀" * 13 + " (2)"]


def test_a_cell_longer_than_excel_allows_is_cut(nasty: RunResult) -> None:
    long = replace(nasty, findings=nasty.findings.assign(message="x" * 40_000))
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(long)))
    messages = [c.value for c in workbook["All exceptions"]["H"]]
    assert messages[1] == "x" * 32_766 + "…"


def test_the_workbook_dates_its_zip_members_1980_whatever_the_as_of_date(
    nasty: RunResult,
) -> None:
    far = replace(nasty, as_of=dt.date(2150, 1, 1))
    with zipfile.ZipFile(io.BytesIO(render_xlsx(far))) as package:
        assert {i.date_time for i in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# --- JUnit and HTML --------------------------------------------------------------------------


def test_junit_stays_well_formed_with_control_characters_in_every_field(
    nasty: RunResult,
) -> None:
    root = ET.fromstring(render_junit(nasty))
    cases = [c for c in root.iter("testcase") if c.get("classname") == "case-notes-timely"]
    assert [c.get("name") for c in cases] == ["C1"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message") == ("Team\r=1+1\n@SUM(A1)\r\n-2\t+3 [/][bold]<script>x</script>")
    # an XML reader reads a line break in text as LF (attributes keep theirs, as &#13;)
    assert "team: Team\n=1+1\n@SUM(A1)\n-2\t+3 [/][bold]<script>x</script>;" in failure.text


class _Strict(HTMLParser):
    """Collects the text and checks every start tag has its end tag (void elements aside)."""

    VOID = frozenset(
        {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_hostile_text_and_stays_well_formed(nasty: RunResult) -> None:
    page = render_html(nasty)
    parser = _Strict()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    assert parser.tags.count("script") == 1  # the page's own filter script, nothing injected
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert any("[/][bold]<script>x</script>" in t for t in parser.text)


# --- terminal --------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_markup_in_data_and_paths_prints_as_written_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = export(tmp_path / "[/]export [bold]", team="[/][bold]Team", worker="[red]Sam :fire:")
    (folder / "casecheck.yaml").write_text(
        'evidence:\n  "[/]odd[/]":\n    note_types: ["Home Visit"]\n', encoding="utf-8"
    )
    monkeypatch.setattr(casecheck.cli, "_rich_terminal", lambda: True)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then writes for a terminal, colours and all
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("NO_COLOR", raising=False)
    outputs = []
    for args in (["check", folder], ["case", "C1", folder], ["validate", folder]):
        as_of = [] if args[0] == "validate" else ["--as-of", "2026-10-30"]
        code, out, err = run(*args, *as_of)
        assert code in (0, 1), err
        assert "Traceback" not in err and "internal error" not in err
        assert ANSI.search(out), "not rendered for a terminal"
        outputs.append(ANSI.sub("", out))
    check, case, validate = outputs
    assert f"casecheck: {folder} as of 30/10/2026" in check
    assert "[/][bold]Team" in check
    assert "team: [/][bold]Team; worker: [red]Sam :fire:" in case
    assert "[/]odd[/]" in case
    assert "[/]export [bold]" in validate  # the table title wraps the long folder name


def test_control_characters_from_data_never_reach_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ESC sequence in a name could retitle, clear or recolour the reader's terminal."""
    names = {"team": "Team\x1b]0;pwned\x07 A\x1b[2J", "worker": "Sam\x9b31m\r"}
    folder = export(tmp_path / "in\x1b[2Jbox", **names)
    shown = str(folder).replace("\x1b", "")
    control = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    piped = {
        "text": run("check", folder, "--as-of", "2026-10-30", "--format", "text"),
        "case": run("case", "C1", folder, "--as-of", "2026-10-30"),
        "validate": run("validate", folder),
    }
    for name, (code, out, err) in piped.items():
        assert code in (0, 1), (name, err)
        assert not control.search(out), name
    assert f"casecheck: {shown} as of 30/10/2026" in piped["text"][1]
    assert "| Team]0;pwned A[2J |" in piped["text"][1]
    assert "  team: Team]0;pwned A[2J; worker: Sam31m" in piped["case"][1]
    assert f"Export: {shown}" in piped["validate"][1]
    monkeypatch.setattr(casecheck.cli, "_rich_terminal", lambda: True)
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, err = run("case", "C1", folder, "--as-of", "2026-10-30")
    assert code == 1, err
    assert "team: Team]0;pwned A[2J; worker: Sam31m" in ANSI.sub("", out)
    assert "\x07" not in out and "\x9b" not in out and "\x1b[2J" not in out


# --- paths -----------------------------------------------------------------------------------


def test_a_folder_name_that_is_not_utf8_is_written_as_a_question_mark(tmp_path: Path) -> None:
    """Linux allows any bytes in a name; Python reads them as lone surrogates, which used to
    make writing the JSON, HTML and text reports an internal error (UnicodeEncodeError)."""
    folder = export(tmp_path / os.fsdecode(b"week\xff"))
    out = tmp_path / "out"
    kinds = ("json", "html", "text", "csv", "xlsx", "junit")
    formats = [arg for fmt in kinds for arg in ("--format", fmt)]
    code, _, err = run("check", folder, "--as-of", "2026-10-30", *formats, "--output", out)
    assert code == 1, err
    for path in out.iterdir():
        if path.suffix != ".xlsx":
            path.read_bytes().decode("utf-8")  # valid UTF-8, or this raises
    assert sorted(p.name for p in out.iterdir())[0] == "casecheck-week-2026-10-30.csv"
    document = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
    assert document["export"]["folder"] == str(tmp_path / "week?")
