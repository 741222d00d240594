"""The workbook's long sheets, written as XML a column at a time: every cell read back with
openpyxl is the frame's value made safe, with its type and number format, whatever the text."""

from __future__ import annotations

import datetime as dt
import functools
import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import to_excel

from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.report import summary, xlsx, xlsx_rows
from casecheck.report.cells import is_formula, one_line
from casecheck.report.xlsx import render_xlsx

AS_OF = dt.date(2026, 10, 30)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML = "http://www.w3.org/XML/1998/namespace"
LONG = "x" * 40_000
ASTRAL = "😀" * 20_000  # 40,000 UTF-16 units in 20,000 characters
EDGE = "a" * 32_765 + "😀" * 5  # 32,775 units: cut before the first emoji
HOSTILE = [
    "=1+1",
    " =cmd|' /C calc'!A0",
    "@SUM(A1)",
    "-2",
    "+3",
    "\t=tabbed",
    "a\x00b\x1bc\x7f",
    "\ufffe\uffffz",
    "line\r\nbreak\nx\ry\u2028z\x85",
    "\u2029@y",
    LONG,
    ASTRAL,
    EDGE,
    "  leading",
    "trailing  ",
    "\u00a0nbsp\u3000",
    "   ",
    "",
    None,
    "&<>\"'",
    '<c r="A1"/>]]>',
    "'already quoted",
    "é ü ß 中文 😀",
]
TEAMS = ['=HYPERLINK("http://evil")', "Team\r\n@A", " -Team B ", "Team [C]: /*?", "😀" * 40]


def _units(text: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


@functools.cache
def _excel_text(text: str) -> str:
    """What a cell holds: one line, at most 32,767 UTF-16 units (cut with an ellipsis)."""
    text = one_line(text)
    if _units(text) <= 32_767:
        return text
    units = 0
    for i, char in enumerate(text):
        units += _units(char)
        if units > 32_766:
            return text[:i] + "…"
    raise AssertionError("unreachable")


def expected(value: Any) -> tuple[Any, ...] | None:
    """A cell as openpyxl reads it back (value, type, number format, quotePrefix), or None
    for no value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        text = _excel_text(value)
        return (text, "s", "General", is_formula(text)) if text else None
    if isinstance(value, dt.date):
        return (pd.Timestamp(value).to_pydatetime(), "d", "dd/mm/yyyy", False)
    if isinstance(value, bool | np.bool_):
        return (bool(value), "b", "General", False)
    if isinstance(value, float):  # 16 significant digits, as openpyxl writes a number
        return (float(f"{value:.16g}"), "n", "General", False)
    return (value, "n", "General", False)


def shown(cell: Any) -> tuple[Any, ...] | None:
    if cell.value is None:
        return None
    return (cell.value, cell.data_type, cell.number_format, bool(cell.quotePrefix))


def assert_sheet_shows(ws: Any, frame: pd.DataFrame, columns: dict[str, str]) -> None:
    """Row 1 the headers; then every row of `frame`, every cell as `expected` says."""
    rows = list(ws.iter_rows())
    assert [c.value for c in rows[0]] == list(columns), ws.title
    assert all(c.font.b and c.fill.fgColor.rgb == "00DDE4EE" for c in rows[0]), ws.title
    assert len(rows) == len(frame) + 1, ws.title
    for i, record in enumerate(frame[list(columns.values())].itertuples(index=False), start=2):
        want = [expected(v) for v in record]
        got = [shown(ws.cell(row=i, column=j)) for j in range(1, len(columns) + 1)]
        assert got == want, (ws.title, i)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A real run of a one-child export: its export and rule outcomes for the Summary."""
    folder: Path = tmp_path_factory.mktemp("tiny")
    (folder / "persons.csv").write_text("PERSON_ID,DATE_OF_BIRTH\nC1,2015-03-01\n")
    (folder / "case_notes.csv").write_text(
        "CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON,CREATED_BY,STATUS\n"
        "N1,C1,Home Visit,2026-10-01,2026-10-20,W1,COMPLETE\n"
    )
    config = load_config(folder, None)
    return run_rules(load_export(folder, config), load_rules(DEFAULT_RULES, config), AS_OF)


def _text(n: int, shift: int) -> pd.Series:
    return pd.Series([HOSTILE[(i + shift) % len(HOSTILE)] for i in range(n)], dtype=object)


@pytest.fixture(scope="module")
def hostile(tiny: RunResult) -> RunResult:
    """Every text column hostile, row by row; dates before 01/03/1900, with a time, missing;
    a waiver dated by Python dates; a fingerprint column of numbers and text."""
    n = 2 * len(HOSTILE)
    rule = tiny.outcomes[0].rule.id
    due = pd.Series(pd.date_range("2026-01-01", periods=n, freq="3D"))
    due[:4] = pd.to_datetime(
        ["1900-01-01", "1900-02-28", "1900-03-01", "2026-05-01 12:30"], format="ISO8601"
    )
    team = pd.Series([TEAMS[i % len(TEAMS)] for i in range(n)], dtype=object)
    findings = pd.DataFrame(
        {
            "rule_id": rule,
            "check": _text(n, 3),
            "severity": ["high", "medium", "low"] * (n // 3) + ["low"] * (n % 3),
            "PERSON_ID": _text(n, 1).fillna("C1"),
            "team": team,
            "worker": _text(n, 5).fillna(""),
            "message": _text(n, 0),
            "event_date": due,
            "due_date": due,
            "days_overdue": np.arange(n, dtype="int64") - 3,
            "looked_for": _text(n, 7),
            "nearest": _text(n, 9),
            "fingerprint": [f"{i:016x}" for i in range(n)],
            "change": _text(n, 11),
            "first_seen": due.where(due.index % 3 > 0),
        }
    )
    due_soon = findings[["rule_id", "check", "PERSON_ID", "team", "worker", "message"]].assign(
        due_date=pd.Timestamp("2026-11-05")
    )
    in_scope = findings[["rule_id", "PERSON_ID", "team", "worker"]]
    gone = findings[["PERSON_ID", "team", "worker", "rule_id", "check", "message"]].assign(
        outcome=["fixed", "dropped_out"] * (n // 2),
        why=_text(n, 13),
        first_seen=due,
        fingerprint=pd.Series([i if i % 2 else i / 3 for i in range(n)], dtype=object),
    )
    waived = findings[["PERSON_ID", "team", "worker", "rule_id", "severity", "message"]].assign(
        reason=_text(n, 2),
        approved_by=_text(n, 4),
        approved_on=pd.Series([dt.date(2026, 1, 1 + i % 28) if i % 4 else None for i in range(n)]),
        expires=due,
        fingerprint=findings["fingerprint"],
    )
    return replace(
        tiny,
        findings=findings,
        due_soon=due_soon,
        in_scope=in_scope,
        gone=gone,
        previous_as_of=dt.date(2026, 10, 23),
        waived=waived,
    )


@pytest.fixture(scope="module")
def data(hostile: RunResult) -> bytes:
    return render_xlsx(hostile)


@pytest.fixture(scope="module")
def workbook(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_every_cell_of_every_long_sheet_is_its_frames_value_made_safe(
    hostile: RunResult, workbook: Any
) -> None:
    assert workbook.sheetnames[:4] == [
        "Summary",
        "All exceptions",
        "Fixed or dropped out",
        "Waived",
    ]
    assert_sheet_shows(
        workbook["All exceptions"], xlsx.exception_frame(hostile), xlsx.EXCEPTION_COLUMNS
    )
    assert hostile.gone is not None and hostile.waived is not None
    assert_sheet_shows(workbook["Fixed or dropped out"], hostile.gone, xlsx.GONE_COLUMNS)
    assert_sheet_shows(workbook["Waived"], hostile.waived, xlsx.WAIVED_COLUMNS)
    actions = summary.actions(hostile)
    names = xlsx.sheet_names(summary.teams(hostile))
    assert workbook.sheetnames[4:] == list(names.values())
    for team, name in names.items():
        assert_sheet_shows(workbook[name], actions[actions["team"] == team], xlsx.ACTION_COLUMNS)


def test_the_spec_itself_meets_every_hostile_case(workbook: Any) -> None:
    """The cases the comparison must have met: cut texts, a quoted formula, a kept space."""
    values = {c.value: c for ws in workbook.worksheets[1:] for row in ws.iter_rows() for c in row}
    assert values["x" * 32_766 + "…"].data_type == "s"
    assert "😀" * 16_383 + "…" in values
    assert "a" * 32_765 + "…" in values
    assert all(_units(v) <= 32_767 for v in values if isinstance(v, str))
    assert values[" =cmd|' /C calc'!A0"].quotePrefix
    assert values["'already quoted"].quotePrefix is False
    assert values["line break x y z "].data_type == "s"
    assert "abc\x7f" in values and "z" in values and "  leading" in values and "   " in values
    assert values[dt.datetime(1900, 1, 1)].number_format == "dd/mm/yyyy"
    assert dt.datetime(2026, 5, 1, 12, 30) in values


def test_long_sheets_keep_their_settings(workbook: Any) -> None:
    for ws in workbook.worksheets[1:]:
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        setup = ws.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert workbook["All exceptions"]["H1"].value == "Message"
    assert workbook["All exceptions"].column_dimensions["H"].width == 80  # its widest


def test_every_member_is_well_formed_and_a_sheet_reads_back_in_read_only_mode(
    hostile: RunResult, data: bytes
) -> None:
    preserved = 0
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            root = ET.fromstring(package.read(name))  # every member is XML here
            for text in root.iter(f"{{{MAIN}}}t"):  # Excel trims an edge space unless told
                if text.text and text.text != text.text.strip():
                    assert text.get(f"{{{XML}}}space") == "preserve", (name, text.text)
                    preserved += 1
    assert preserved > 100
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book["All exceptions"].iter_rows(values_only=True))
    assert len(rows) == len(hostile.findings) + 1
    assert rows[1][8] == dt.datetime(1900, 1, 1)


def test_date_serials_are_excels_as_openpyxl_computes_them() -> None:
    days = pd.Series(
        pd.to_datetime(
            [
                "1899-12-30",
                "1900-01-01",
                "1900-02-28",
                "1900-03-01",
                "2026-10-30",
                "2026-05-01 12:30",
            ],
            format="ISO8601",
        )
    )
    cells = xlsx_rows._dates(days, xlsx_rows.Styles(date=3, quoted=6))
    serials = [c.split("<v>")[1].split("</v>")[0] for c in cells]
    assert serials == [f"{to_excel(d.to_pydatetime()):.16g}" for d in days]
    assert serials[:5] == ["0", "1", "59", "61", "46325"]


def test_excel_text_cuts_by_utf16_units_never_inside_a_pair() -> None:
    assert xlsx_rows.excel_text(LONG) == "x" * 32_766 + "…"
    assert xlsx_rows.excel_text(ASTRAL) == "😀" * 16_383 + "…"
    assert xlsx_rows.excel_text(EDGE) == "a" * 32_765 + "…"
    fits = "😀" * 16_383 + "a"  # exactly 32,767 units
    assert xlsx_rows.excel_text(fits) == fits
    assert xlsx_rows.utf16_cut("😀a", 1) == ""
    assert xlsx_rows.utf16_cut("a😀b", 3) == "a😀"


def test_whitespace_is_what_str_strip_strips() -> None:
    every = [c for c in range(0x110000) if chr(c).isspace()]
    assert every == xlsx_rows._SPACE_POINTS.tolist()


def test_rows_are_the_same_in_chunks_and_the_size_bound_holds(
    hostile: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = xlsx.exception_frame(hostile)[list(xlsx.EXCEPTION_COLUMNS.values())]
    letters = tuple(openpyxl.utils.get_column_letter(i) for i in range(1, 17))
    cells = xlsx_rows.cells(frame, letters, xlsx_rows.Styles(date=3, quoted=6))
    take = np.arange(len(frame))
    whole = b"".join(xlsx_rows.rows(cells, take))
    monkeypatch.setattr(xlsx_rows, "CHUNK_ROWS", 7)
    chunks = list(xlsx_rows.rows(cells, take))
    assert len(chunks) == -(-len(frame) // 7)
    assert b"".join(chunks) == whole
    assert whole.count(b"<row ") == len(frame)
    first = whole[: whole.index(b"</row>")].decode("utf-8")
    assert first.startswith(
        '<row r="2"><c r="A2" s="6" t="inlineStr"><is><t xml:space="preserve"> =cmd|'
        "' /C calc'!A0</t></is></c>"
    )
    assert '<c r="I2" s="3" t="n"><v>1</v></c><c r="J2" t="n"><v>-3</v></c>' in first
    assert '<c r="N2"' not in first  # no first-seen date: no cell
    assert '<c r="O2" t="inlineStr"/>' in first  # an empty text: an empty cell
    assert len(whole) <= cells.bytes_at_most(len(frame))


def test_a_sheet_stops_at_excels_row_limit_and_the_summary_says_so(
    hostile: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 6)
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(hostile)))
    for ws in book.worksheets[1:]:
        assert ws.max_row <= 6, ws.title
    assert book["All exceptions"].max_row == 6
    assert book["All exceptions"].auto_filter.ref == "A1:P6"
    notes = [c.value for c in book["Summary"]["A"]]
    assert "Only the first 5 exceptions fit on a sheet." in notes


def test_column_widths_count_characters_as_len_does_whoever_holds_the_text() -> None:
    """A width is len(str(value)) of the longest value (-1 for a missing one), counted by
    Arrow for text Arrow holds: an emoji is one character, an accented letter one."""
    values = ["", "abc", "😀é", None, "x" * 90]
    arrow = xlsx_rows._lengths(pd.Series(values, dtype="str"))
    objects = xlsx_rows._lengths(pd.Series(values, dtype=object))
    assert arrow.tolist() == objects.tolist() == [0, 3, 2, -1, 90]
    assert xlsx_rows._lengths(pd.Series([3, None, 12345], dtype="Int64")).tolist() == [1, -1, 5]
