"""Property tests: damaged exports load or stop with a CasecheckError, and every row is counted."""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from conftest import VALID_ROWS, load
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casecheck.errors import CasecheckError, ExportError
from casecheck.export.load import Export
from casecheck.export.reading import _column_names, parse_csv_bytes
from casecheck.export.schema import TABLES, Kind

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OTHER_TABLES = [name for name in TABLES if name != "persons"]
SECRET = "SECRET"  # free-text cells hold it; no message may show it
BAD_VALUES = [
    "",
    " ",
    "maybe",
    "banana",
    "31/02/2025",
    "2024-13-45",
    "05/01/20",
    "9999-12-31",
    "1/1/1600",
    "2024-01-01 25:61",
    "Y",
    "0",
    "completed",
    "COMPLETE",
    '"',
    ",",
    "\n",
    "a\r\nb",
    "000001",  # a duplicate (of the first person) or a known id
    "K0",  # a duplicate key
    "999999",  # an id no child has
    "Zoë £",
]
DAMAGE = st.one_of(
    st.sampled_from(BAD_VALUES),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=10),
)
EXTRA_NAMES = ["NOTES", "Local Ref", "X", "x", "", "person id (old)"]


@dataclass
class Written:
    """What a drawn export holds: its files and, when known, the rows written per table."""

    files: dict[str, bytes] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # None-free: only tables read exactly


def _header(draw: st.DrawFn, name: str) -> str:
    """A contract header as a council might write it: any case, spaces around it."""
    style = draw(st.sampled_from(["same", "lower", "title", "padded"]))
    return {
        "same": name,
        "lower": name.lower(),
        "title": name.title(),
        "padded": f" {name} ",
    }[style]


def _line(cells: list[str]) -> str:
    """One CSV line: values with a separator, a quote or a line break in them are quoted."""
    return ",".join(
        '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\r\n') else cell
        for cell in cells
    )


@st.composite
def exports(draw: st.DrawFn) -> Written:
    written = Written()
    n_persons = draw(st.integers(0, 6))
    person_ids = [f"{i:06d}" for i in range(1, n_persons + 1)]
    tables = ["persons", *draw(st.lists(st.sampled_from(OTHER_TABLES), unique=True, max_size=2))]
    for name in tables:
        table = TABLES[name]
        kept = [
            c.name for c in table.columns if c.required or draw(st.booleans()) or c.kind is Kind.ID
        ]
        extras = draw(st.lists(st.sampled_from(EXTRA_NAMES), unique=True, max_size=2))
        order = draw(st.permutations(kept + extras))
        n_rows = n_persons if name == "persons" else draw(st.integers(0, 6))
        rows: list[list[str]] = []
        for i in range(n_rows):
            cells = dict(VALID_ROWS[name])
            if name == "persons":
                cells["PERSON_ID"] = person_ids[i]
            else:
                assert table.key is not None
                cells[table.key] = f"K{i}"
                cells["PERSON_ID"] = draw(st.sampled_from(person_ids)) if person_ids else "000001"
            for column in table.columns:
                if column.kind is Kind.FREE_TEXT:
                    cells[column.name] = f"{SECRET} {i}, private"
                elif draw(st.integers(0, 5)) == 0:
                    cells[column.name] = draw(DAMAGE)
            for extra in extras:
                cells[extra] = draw(DAMAGE)
            if draw(st.integers(0, 9)) == 0:  # an empty row
                cells = dict.fromkeys(cells, "")
            rows.append([cells[c] for c in order])
        newline = draw(st.sampled_from(["\r\n", "\n"]))
        header = [_header(draw, c) if c in kept else c for c in order]
        text = "".join(_line(cells) + newline for cells in [header, *rows])
        codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
        try:
            data = text.encode(codec)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        if draw(st.integers(0, 9)) == 0:  # a line of raw garbage: may make the file unreadable
            data += draw(st.binary(max_size=12)) + b"\r\n"
        else:
            written.rows[name] = n_rows
        written.files[table.file] = data
    return written


def _check(export: Export, written: Written) -> None:
    problems = export.problems
    assert not any(SECRET in str(m) for m in problems["message"])
    assert not any(SECRET in str(v) for v in problems["value"])
    for name, count in export.counts.items():
        frame = export.tables[name]
        assert count.read == count.used + count.set_aside, name
        assert len(frame) == count.used, name
        if name in written.rows:
            assert count.read == written.rows[name], name
        mine = problems[problems["table"] == name]
        rows = set(range(2, count.read + 2))
        assert set(mine["row"]) <= rows, name
        aside = rows - set(frame.index)
        assert len(aside) == count.set_aside, name
        # each set-aside row has a problem that set it aside, and no used row has one
        assert set(mine.loc[mine["set_aside"], "row"]) == aside, name
        for column in TABLES[name].columns:
            series = frame[column.name]
            if column.kind is Kind.DATE:
                assert series.dtype == "datetime64[ns]"
            elif column.kind is Kind.FLAG:
                assert series.dtype == "boolean"
            else:
                assert pd.api.types.is_string_dtype(series.dtype)
            if column.required:
                assert series.notna().all(), (name, column.name)
        if TABLES[name].key is not None and TABLES[name].key in frame:
            keys = frame[TABLES[name].key].dropna()
            assert keys.is_unique, name
        if name != "persons":
            assert frame["PERSON_ID"].isin(export.tables["persons"]["PERSON_ID"]).all(), name


@SETTINGS
@given(written=exports())
def test_damaged_exports_load_or_stop_cleanly(written: Written) -> None:
    folder = Path(tempfile.mkdtemp(prefix="casecheck-prop-"))
    try:
        for file, data in written.files.items():
            (folder / file).write_bytes(data)
        try:
            export = load(folder)
        except CasecheckError as exc:
            event(f"stopped: {type(exc).__name__}")
            assert str(exc)
            assert SECRET not in str(exc)
            return
        event("loaded" + (" with problems" if len(export.problems) else ""))
        _check(export, written)
    finally:
        shutil.rmtree(folder)


CSV_CHARS = st.sampled_from(["a", "0", " ", ",", '"', "\n", "\r", "é", "\t"])


@SETTINGS
@given(
    body=st.lists(CSV_CHARS, max_size=40).map("".join),
    header=st.sampled_from(["A,B", "A", "A,B,C", ""]),
)
def test_raw_read_matches_pandas_c_engine(body: str, header: str) -> None:
    """pyarrow's strings are pandas' C engine's strings; where the C engine fails, so do we."""
    text = header + "\n" + body if header else body
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        ).fillna("")
        expected: list[list[str]] | None = cells.astype(object).values.tolist()
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        expected = None
    try:
        frame, _ = parse_csv_bytes(text.encode("utf-8"), "t.csv")
    except ExportError:
        assert expected is None
        return
    assert expected is not None
    assert list(frame.columns) == _column_names(expected[0])
    assert frame.astype(object).values.tolist() == expected[1:]
