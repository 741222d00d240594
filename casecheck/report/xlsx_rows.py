"""The Excel workbook's long sheets as SpreadsheetML rows, built a column at a time.

openpyxl makes a Python object and an XML element for every cell (some 35 µs a cell: 8 s of a
5,000-child run). Here a column becomes the XML of all its cells at once, as openpyxl would
write them: its distinct texts made one XML-safe line, cut to Excel's length, escaped and
marked for a ' (quotePrefix) style when a spreadsheet would run them, once each; numbers and
dates (serial numbers in the date style) formatted once per distinct value too; a missing
value no cell. Each row's pieces are laid out in an array and joined a chunk of rows at a
time, so no sheet is ever held as one string.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casecheck.report.cells import (
    BREAK_POINTS,
    BREAKS,
    EXCEL_CELL_CHARS,
    FORMULA_START,
    NOT_XML,
    code_points,
    not_xml_points,
)

EPOCH = pd.Timestamp(1899, 12, 30)  # day 0 of Excel's (Windows) date serial numbers
# Rows joined into one string at a time: few enough that a chunk's temporaries stay under the
# 1 MiB from which the CLI has glibc map memory from the system (export.reading), so they are
# reused from the heap instead of mapped and faulted in anew (10,000 rows: twice the page
# faults of the whole workbook at 20,000 children).
CHUNK_ROWS = 1_000
ROW_BYTES = len('<row r="1048576"></row>')
REF_BYTES = len('<c r="XFD1048576')
UTF8_MAX = 4  # bytes a Python character takes at most in UTF-8
# Code points: what a formula starts with; what str.strip() strips (Python's whitespace, none
# above U+3000).
_FORMULA_POINTS = np.array([ord(c) for c in FORMULA_START])
_SPACE_POINTS = np.array([c for c in range(0x3001) if chr(c).isspace()])


@dataclass(frozen=True)
class Styles:
    """Cell style ids from the workbook's style sheet."""

    date: int  # a date shown dd/mm/yyyy
    quoted: int  # text shown as typed, never run (quotePrefix)


@dataclass(frozen=True)
class Cells:
    """The cells of a frame's columns, each column as codes into its distinct cells: a cell's
    XML from after its reference (`" t="n"><v>46</v></c>`), "" for no cell. With each distinct
    value's length as text (-1 for a missing value), from which column widths are measured."""

    letters: tuple[str, ...]
    codes: tuple[np.ndarray, ...]  # per row
    distinct: tuple[np.ndarray, ...]
    lengths: tuple[np.ndarray, ...]  # per distinct value; none for a date column

    @functools.cached_property
    def _widest(self) -> int:
        """The characters of a row whose every cell is its column's longest."""
        return sum(max(map(len, d), default=0) for d in self.distinct)

    def bytes_at_most(self, rows: int) -> int:
        """An upper bound of the UTF-8 size of `rows` rows: decides whether the sheet's zip
        member needs ZIP64 before a byte of it is written."""
        return rows * (ROW_BYTES + len(self.letters) * REF_BYTES + UTF8_MAX * self._widest)


def utf16_cut(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` UTF-16 code units (Excel's measure)."""
    units = text.encode("utf-16-le", "surrogatepass")[: 2 * limit]
    return units.decode("utf-16-le", "ignore")  # "ignore" drops a pair cut in two


def excel_text(text: str) -> str:
    """Text as an Excel cell holds it: cut, with an ellipsis, to 32,767 UTF-16 code units."""
    if len(text) * 2 <= EXCEL_CELL_CHARS:
        return text
    if len(text.encode("utf-16-le", "surrogatepass")) // 2 <= EXCEL_CELL_CHARS:
        return text
    return utf16_cut(text, EXCEL_CELL_CHARS - 1) + "…"


def cells(frame: pd.DataFrame, letters: tuple[str, ...], styles: Styles) -> Cells:
    """Each column of `frame` (in order, under `letters`) as the XML of its cells."""
    built = [_column(frame.iloc[:, i], styles) for i in range(frame.shape[1])]
    codes, distinct, lengths = zip(*built, strict=True) if built else ((), (), ())
    return Cells(letters, tuple(codes), tuple(distinct), tuple(lengths))


def rows(table: Cells, take: np.ndarray, first: int = 2) -> Iterator[bytes]:
    """The rows at positions `take` as `<row>` elements numbered from `first`, as UTF-8,
    CHUNK_ROWS rows at a time: each row's pieces laid out in a table, joined once."""
    width = len(table.letters)
    for start in range(0, len(take), CHUNK_ROWS):
        part = take[start : start + CHUNK_ROWS]
        numbers = np.arange(first + start, first + start + len(part)).astype(str).astype(object)
        pieces = np.empty((len(part), 3 * width + 4), dtype=object)
        pieces[:, 0] = '<row r="'
        pieces[:, 1] = numbers
        pieces[:, 2] = '">'
        for i, (letter, codes, distinct) in enumerate(
            zip(table.letters, table.codes, table.distinct, strict=True)
        ):
            cell = distinct[codes[part]]
            none = cell == ""
            pieces[:, 3 * i + 3] = f'<c r="{letter}'  # objects copied, no text array between
            pieces[:, 3 * i + 4] = numbers
            pieces[none, 3 * i + 3] = ""
            pieces[none, 3 * i + 4] = ""
            pieces[:, 3 * i + 5] = cell
        pieces[:, -1] = "</row>"
        yield "".join(pieces.ravel().tolist()).encode("utf-8")


def _column(values: pd.Series, styles: Styles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's codes into its distinct values' cells, those cells, and each distinct
    value's length as text (-1 for a missing one; none measured for dates)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise TypeError("Excel has no time zones: give dates without one")
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = pd.Series(uniques)
    if pd.api.types.is_datetime64_dtype(distinct.dtype):
        return codes, _dates(distinct, styles), np.zeros(0, dtype=np.int64)
    lengths = _lengths(distinct)
    if pd.api.types.is_bool_dtype(distinct.dtype):
        blank = distinct.isna().to_numpy(bool)
        return codes, np.where(blank, "", _booleans(distinct.fillna(False))), lengths
    if pd.api.types.is_numeric_dtype(distinct.dtype):
        return codes, _numbers(distinct), lengths
    return codes, _mixed(distinct.astype(object), styles), lengths


def _lengths(distinct: pd.Series) -> np.ndarray:
    """Each distinct value's length as text, as len(str(value)) counts it (-1 for a missing
    value): counted by Arrow for text Arrow holds, without a Python string each."""
    if isinstance(distinct.dtype, pd.StringDtype) and distinct.dtype.storage == "pyarrow":
        counted = pc.utf8_length(pa.array(distinct))
        return np.asarray(pc.fill_null(counted, -1).to_numpy(zero_copy_only=False), np.int64)
    lengths = np.array([*map(len, map(str, distinct))], dtype=np.int64)
    lengths[distinct.isna().to_numpy(bool)] = -1
    return lengths


def _mixed(distinct: pd.Series, styles: Styles) -> np.ndarray:
    """The cells of distinct Python values, each by its type."""
    out = np.full(len(distinct), "", dtype=object)
    kind = pd.api.types.infer_dtype(distinct, skipna=True)
    blank = distinct.isna().to_numpy()
    if kind in ("string", "empty"):
        text = ~blank
    else:
        types = distinct.map(type)
        boolean = types.map(lambda t: issubclass(t, bool | np.bool_)).to_numpy(bool) & ~blank
        number = types.map(lambda t: issubclass(t, int | float | np.number)).to_numpy(bool)
        number = number & ~(blank | boolean)
        date = types.map(lambda t: issubclass(t, dt.date)).to_numpy(bool) & ~blank
        text = ~(blank | boolean | number | date)
        if boolean.any():
            out[boolean] = _booleans(distinct[boolean].astype(bool))
        if number.any():
            out[number] = _numbers(pd.to_numeric(distinct[number]))
        if date.any():
            out[date] = _dates(pd.to_datetime(distinct[date].map(pd.Timestamp)), styles)
    if text.any():
        texts = distinct[text]
        if kind not in ("string", "empty"):  # dates, numbers and others: their text
            texts = pd.Series([str(v) for v in texts], dtype=object)
        out[text] = _texts(texts, styles)
    return out


def _texts(values: pd.Series, styles: Styles) -> np.ndarray:
    """Inline string cells: one line of XML 1.0 characters, cut to Excel's length, a '
    (quotePrefix) style on text a spreadsheet would run; xml:space kept where it matters; an
    empty text an empty cell (a missing value is no cell).

    The column's text is read as one array of code points: whether any value holds a
    character to remove or a break, and each value's first and last character, come from it
    at once; only a column with something to remove or cut is changed value by value. Object
    dtype throughout: Arrow strings cannot hold a lone surrogate, which is removed here.
    """
    clean = pd.Series(values.to_numpy(object), dtype=object)
    if not len(clean):
        return np.array([], dtype=object)
    points = code_points("".join(clean))
    if not_xml_points(points).any():
        clean = clean.str.replace(NOT_XML, "", regex=True)
    if np.isin(points, BREAK_POINTS).any():
        clean = clean.str.replace(BREAKS, " ", regex=True)
    if max(map(len, clean), default=0) * 2 > EXCEL_CELL_CHARS:  # may pass Excel's limit
        clean = pd.Series([excel_text(t) for t in clean], dtype=object)
    joined = "\x00" + "\x00".join(clean) + "\x00"  # NUL is never in clean text
    points = code_points(joined)
    bounds = np.flatnonzero(points == 0)
    starts, ends = bounds[:-1] + 1, bounds[1:]
    filled = ends > starts
    first = np.where(filled, points[np.minimum(starts, len(points) - 1)], 0)
    last = points[ends - 1]
    spaced = filled & (np.isin(first, _SPACE_POINTS) | np.isin(last, _SPACE_POINTS))
    run = np.isin(first, _FORMULA_POINTS)
    indented = first == ord(" ")
    if indented.any():
        run[indented] = clean[indented].str.lstrip(" ").str.startswith(FORMULA_START)
    escaped = clean
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if char in joined:
            escaped = escaped.str.replace(char, entity, regex=False)
    start = np.where(run, f'" s="{styles.quoted}" t="inlineStr"><is>', '" t="inlineStr"><is>')
    tag = np.where(spaced, '<t xml:space="preserve">', "<t>")
    out = start.astype(object) + tag.astype(object) + escaped.to_numpy(object) + "</t></is></c>"
    return np.where(filled, out, '" t="inlineStr"/>')  # an empty text is a cell, as openpyxl has it


def _numbers(values: pd.Series) -> np.ndarray:
    """Number cells; a missing or infinite number is a blank cell."""
    numbers = values.astype("Float64") if values.dtype == object else values
    blank = numbers.isna().to_numpy(bool)
    if pd.api.types.is_integer_dtype(numbers.dtype):
        digits = numbers.fillna(0).astype("int64").to_numpy().astype(str).astype(object)
    else:
        floats = numbers.astype("float64").to_numpy(na_value=np.nan)
        blank = blank | ~np.isfinite(floats)
        digits = np.char.mod("%.16g", np.where(blank, 0.0, floats)).astype(object)
    return np.where(blank, "", '" t="n"><v>' + digits + "</v></c>")


def _booleans(values: pd.Series) -> np.ndarray:
    digits = np.where(values.to_numpy(bool), "1", "0").astype(object)
    return np.asarray('" t="b"><v>' + digits + "</v></c>", dtype=object)


def _dates(values: pd.Series, styles: Styles) -> np.ndarray:
    """Date cells: Excel serial numbers (days since 30/12/1899, one less before 01/03/1900,
    where Excel counts a 29/02/1900 that never was; a time as a fraction of a day)."""
    blank = values.isna().to_numpy(bool)
    since = (values - EPOCH).fillna(pd.Timedelta(0))
    days = since.dt.days.to_numpy("int64")
    days = days - ((days > 0) & (days <= 60))
    seconds = since.dt.seconds.to_numpy("int64")
    micro = since.dt.microseconds.to_numpy("int64")
    digits = days.astype(str).astype(object)
    timed = (seconds > 0) | (micro > 0)
    if timed.any():
        serial = days[timed] + (seconds[timed] + micro[timed] / 10**6) / 86400
        digits[timed] = np.char.mod("%.16g", serial).astype(object)
    cell = f'" s="{styles.date}" t="n"><v>' + digits + "</v></c>"
    return np.where(blank, "", cell)
