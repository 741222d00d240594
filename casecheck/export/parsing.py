"""Vectorised parsing of text columns into dates, flags and choices, marking values that fail.

Dates, flags and choices repeat (a date of birth, "Y", "COMPLETED"): each distinct value is
parsed once and the results are spread back to the rows with numpy, which is many times faster
than parsing every cell of a million-row column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from casecheck.calendar import YEARS
from casecheck.lazy import np, npt, pd

DATE_STYLES = "YYYY-MM-DD or DD/MM/YYYY, optionally followed by HH:MM or HH:MM:SS"
DATE_SHAPE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
)
# The shape of a value -> the one default format that can read it. A shape is a code:
# 8 for YYYY-MM-DD (0 for DD/MM/YYYY), + 4 for a "T" before the time, + 2 for HH:MM, + 1 for :SS,
# + 16 for a fraction of a second (SQL Server writes 2010-03-31 00:00:00.000).
FORMAT_OF_SHAPE = {
    8: "%Y-%m-%d",
    10: "%Y-%m-%d %H:%M",
    11: "%Y-%m-%d %H:%M:%S",
    27: "%Y-%m-%d %H:%M:%S.%f",
    14: "%Y-%m-%dT%H:%M",
    15: "%Y-%m-%dT%H:%M:%S",
    31: "%Y-%m-%dT%H:%M:%S.%f",
    0: "%d/%m/%Y",
    2: "%d/%m/%Y %H:%M",
    3: "%d/%m/%Y %H:%M:%S",
    19: "%d/%m/%Y %H:%M:%S.%f",
}
YEAR_IN_DATE = r"^(\d{4})-.*$|^\d{1,2}/\d{1,2}/(\d{4}).*$"
# Dates are held as datetime64[ns] (1677-09-21 to 2262-04-11), but only the years the working
# calendar can count from (calendar.YEARS) are accepted: a rule must never error on an
# accepted date.
MIN_YEAR, MAX_YEAR = YEARS.start, YEARS.stop - 1
FIRST_DAY, AFTER_LAST_DAY = f"{MIN_YEAR:04d}-01-01", f"{YEARS.stop:04d}-01-01"  # ISO days
OUT_OF_RANGE = f"is outside the dates casecheck can work with (years {MIN_YEAR} to {MAX_YEAR})"

FLAG_VALUES = {
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
}

# A column longer than this whose first DISTINCT_SAMPLE values are mostly distinct (times to
# the second, IDs) is parsed whole; any other column one distinct value at a time.
DISTINCT_SAMPLE = 10_000
PARSE_BLOCK = 1 << 18  # values pd.to_datetime is given at a time (it holds a string per value)


@dataclass(frozen=True)
class Parsed:
    """A parsed column: its values, which non-blank cells failed, and why (for those cells)."""

    values: pd.Series
    bad: pd.Series  # bool, aligned with values
    why: pd.Series  # str, one entry per bad cell


def _distinct(raw: pd.Series) -> tuple[npt.NDArray[np.intp] | None, pd.Series]:
    """(codes, distinct values) when values repeat, else (None, the values themselves)."""
    if len(raw) > DISTINCT_SAMPLE and raw.iloc[:DISTINCT_SAMPLE].nunique() > DISTINCT_SAMPLE // 2:
        return None, raw.reset_index(drop=True)
    codes, uniques = pd.factorize(raw)
    return codes, pd.Series(uniques, dtype=raw.dtype)


def _spread(values: npt.NDArray[Any], codes: npt.NDArray[np.intp] | None) -> npt.NDArray[Any]:
    """Per-distinct-value results back onto the rows."""
    return values if codes is None else values[codes]


def _spread_text(
    values: npt.NDArray[np.object_], codes: npt.NDArray[np.intp] | None, raw: pd.Series
) -> pd.Series:
    """Text per distinct value (None for missing) back onto the rows, as a column like `raw`.

    An Arrow-backed column is spread by Arrow's take: no Python string per row.
    """
    arrow = isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow"
    if not arrow or codes is None or (len(codes) and codes.min() < 0):
        return pd.Series(_spread(values, codes), index=raw.index, dtype=raw.dtype)
    import pyarrow as pa

    spread = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    return pd.Series(pd.array(pa.chunked_array([spread]), dtype=raw.dtype), index=raw.index)


def _shapes(values: pd.Series) -> npt.NDArray[np.int64]:
    """Each value's shape as a code (see FORMAT_OF_SHAPE), or -1 when it has no date shape.

    Only string methods that pandas runs in pyarrow (match, contains) are used: str.extract
    would loop over the values in Python.
    """

    def has(pattern: str, regex: bool = True) -> npt.NDArray[np.int64]:
        return values.str.contains(pattern, regex=regex).to_numpy().astype(np.int64)

    code = (
        has(r"^\d{4}-") * 8
        + has("T", False) * 4
        + has(":", False) * 2
        + has(r":\d+:")
        + has(r":\d+\.\d") * 16
    )
    dated = values.str.fullmatch(DATE_SHAPE).to_numpy().astype(bool)
    return np.where(dated, code, -1)


def _shape_of(value: str) -> int:
    """`_shapes` of one value, with Python's re (whose rules pandas' string methods follow)."""
    if not re.fullmatch(DATE_SHAPE, value):
        return -1
    return (
        bool(re.search(r"^\d{4}-", value)) * 8
        + ("T" in value) * 4
        + (":" in value) * 2
        + bool(re.search(r":\d+:", value))
        + bool(re.search(r":\d+\.\d", value)) * 16
    )


# The directives a fixed-width format may use, and how many digits each is written with.
FIXED_DIGITS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
FIXED_BLOCK = 1 << 16  # rows gathered at a time when the values differ in length


def _layout(fmt: str) -> tuple[int, dict[str, int], dict[int, int]] | None:
    """Where each field of `fmt` starts when every field is zero-padded, the width, and the
    literal bytes; None for a format that is not such a layout (a fraction, a month name...).
    """
    fields: dict[str, int] = {}
    literals: dict[int, int] = {}
    at = 0
    parts = iter(fmt)
    for char in parts:
        if char == "%":
            field = next(parts, "")
            if field not in FIXED_DIGITS or field in fields:
                return None
            fields[field] = at
            at += FIXED_DIGITS[field]
        elif char in " T" or (char.isascii() and not char.isspace() and not char.isalnum()):
            literals[at] = ord(char)  # a separator (or the T of ISO 8601), written as is
            at += 1
        else:
            return None
    time = [f for f in "HMS" if f in fields]
    if not {"Y", "m", "d"} <= set(fields) or time not in ([], ["H", "M"], ["H", "M", "S"]):
        return None
    return at, fields, literals


def _fixed_width(
    values: pd.Series, fmt: str
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.datetime64]]:
    """Read the values written exactly as `fmt` lays them out, in numpy: zero-padded ASCII
    digits, the format's own separators, a real date and time in the years casecheck reads.

    Returns which values were read and their dates (datetime64[s]). pd.to_datetime(format=fmt)
    reads these values as the same dates; it is left the rest, and decides about them.
    """
    done = np.zeros(len(values), dtype=bool)
    stamps = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[s]")
    layout = _layout(fmt)
    arrow = isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"
    if layout is None or not arrow or not len(values):
        return done, stamps
    import pyarrow as pa

    width, fields, literals = layout
    column = pa.array(values.array)
    start = 0
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        n = len(chunk)
        buffers = chunk.buffers()
        if n and buffers[2] is not None:
            offsets = np.frombuffer(buffers[1], dtype=np.int64)[chunk.offset : chunk.offset + n + 1]
            data = np.frombuffer(buffers[2], dtype=np.uint8)
            fits = np.diff(offsets) == width
            if chunk.null_count:
                fits &= ~chunk.is_null().to_numpy(zero_copy_only=False)
            rows = np.flatnonzero(fits)
            if fits.all():
                block = data[offsets[0] : offsets[0] + n * width].reshape(n, width)
                _read_fixed(block, fields, literals, rows + start, done, stamps)
            else:
                for lo in range(0, len(rows), FIXED_BLOCK):
                    at = rows[lo : lo + FIXED_BLOCK]
                    block = data[offsets[at][:, None] + np.arange(width)]
                    _read_fixed(block, fields, literals, at + start, done, stamps)
        start += n
    return done, stamps


def _read_fixed(
    block: npt.NDArray[np.uint8],
    fields: dict[str, int],
    literals: dict[int, int],
    rows: npt.NDArray[np.intp],
    done: npt.NDArray[np.bool_],
    stamps: npt.NDArray[np.datetime64],
) -> None:
    """Parse a block of fixed-width values (one per row of `block`) into `stamps` at `rows`."""
    ok = np.ones(len(block), dtype=bool)
    for at, byte in literals.items():
        ok &= block[:, at] == byte
    number: dict[str, npt.NDArray[np.int64]] = {}
    for field, at in fields.items():  # column by column: each byte is looked at once
        value = np.zeros(len(block), dtype=np.int64)
        for i in range(at, at + FIXED_DIGITS[field]):
            digit = block[:, i] - np.uint8(ord("0"))  # wraps round below "0": > 9 too
            ok &= digit <= 9
            value *= 10  # in place: no new column of 8 bytes a row per digit
            value += digit
        number[field] = value
    year, month, day = number["Y"], number["m"], number["d"]
    ok &= (year >= MIN_YEAR) & (year <= MAX_YEAR) & (month >= 1) & (month <= 12) & (day >= 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= day <= np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[
        np.clip(month, 0, 12)
    ] + (leap & (month == 2))
    seconds = np.zeros(len(block), dtype=np.int64)
    for field, most, scale in (("H", 23, 3600), ("M", 59, 60), ("S", 59, 1)):
        if field in number:
            ok &= number[field] <= most
            seconds += number[field] * scale
    months = ((year - 1970) * 12 + month - 1)[ok].astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (day[ok] - 1).astype("timedelta64[D]")
    stamps[rows[ok]] = days.astype("datetime64[s]") + seconds[ok].astype("timedelta64[s]")
    done[rows[ok]] = True


def _parse_date_values(
    values: pd.Series, fmt: str | None
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.object_]]:
    """Parse distinct values: the dates (NaT when blank or bad) and why each bad one failed."""
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    todo = (values != "").to_numpy(dtype=bool, copy=True)
    far = np.zeros(len(values), dtype=bool)

    def settle(at: npt.NDArray[np.intp], stamps: npt.NDArray[np.datetime64]) -> None:
        ok = ~np.isnat(stamps)
        first, after_last = np.datetime64(FIRST_DAY), np.datetime64(AFTER_LAST_DAY)
        fits = ok & (stamps >= first) & (stamps < after_last)  # any unit: s, us, ns
        far[at[ok & ~fits]] = True
        out[at[fits]] = stamps[fits].astype("datetime64[ns]")
        todo[at[fits]] = False

    def attempt(f: str, candidates: npt.NDArray[np.bool_]) -> None:
        at = np.flatnonzero(candidates)
        subset = values if len(at) == len(values) else values.iloc[at]
        quick, stamps = _fixed_width(subset, f)
        settle(at[quick], stamps[quick])
        rest = np.flatnonzero(~quick)
        for lo in range(0, len(rest), PARSE_BLOCK):  # pandas makes a Python string per value
            some = rest[lo : lo + PARSE_BLOCK]
            parsed = pd.to_datetime(subset.iloc[some], format=f, errors="coerce").to_numpy()
            settle(at[some], parsed)

    if fmt:
        attempt(fmt, todo.copy())
    elif todo.any():
        # Most columns use one style: read every value as the first one is written, then
        # read what is left with the one format its shape allows.
        first = values.iloc[int(np.argmax(todo))]
        tried = FORMAT_OF_SHAPE.get(_shape_of(first))
        if tried is not None:
            attempt(tried, todo.copy())
        if todo.any():
            shape = np.full(len(values), -1, dtype=np.int64)
            shape[todo] = _shapes(values[todo])
            for code, f in FORMAT_OF_SHAPE.items():
                candidates = todo & (shape == code)
                if f != tried and candidates.any():
                    attempt(f, candidates)
    why = np.full(len(values), None, dtype=object)
    if todo.any():
        failed = values[todo]
        if fmt:
            reason = np.full(
                len(failed), f"does not match the date format {fmt} set for it", object
            )
        else:
            shaped = np.isin(shape[todo], list(FORMAT_OF_SHAPE))
            reason = np.where(
                shaped,
                "is not a real date",
                f"is not a date (expected {DATE_STYLES}; slash dates are day-first)",
            ).astype(object)
        outside = far[todo]
        unreal = reason == "is not a real date"
        if unreal.any():
            # pandas before 3.0 reads an out-of-range date as NaT: tell it by its year.
            year = failed.str.replace(YEAR_IN_DATE, r"\1\2", regex=True)
            number = pd.to_numeric(year, errors="coerce").fillna(MIN_YEAR).to_numpy()
            outside |= unreal & ((number < MIN_YEAR) | (number > MAX_YEAR))
        reason[outside] = OUT_OF_RANGE
        why[todo] = reason
    return out, why


def parse_dates(raw: pd.Series, fmt: str | None = None) -> Parsed:
    """Parse dates in either accepted style (or the council's `fmt`); blank is NaT."""
    codes, distinct = _distinct(raw)
    dates, why = _parse_date_values(distinct, fmt)
    # Bad or not per distinct value, spread as flags; the reasons only for the bad rows.
    bad = _spread(why != None, codes)  # noqa: E711 - elementwise
    at = np.flatnonzero(bad)
    return Parsed(
        values=pd.Series(_spread(dates, codes), index=raw.index, dtype="datetime64[ns]"),
        bad=pd.Series(bad, index=raw.index),
        why=pd.Series(why[at if codes is None else codes[at]], index=raw.index[at], dtype=str),
    )


def parse_flags(raw: pd.Series) -> Parsed:
    """Parse Y/N, Yes/No, True/False, 1/0 in any case; blank is unknown (<NA>)."""
    codes, distinct = _distinct(raw)
    mapped = distinct.str.lower().map(FLAG_VALUES)
    known = mapped.notna().to_numpy(dtype=bool)
    flag = mapped.eq(True).to_numpy(dtype=bool)
    bad_distinct = ~known & (distinct != "").to_numpy(dtype=bool)
    values = pd.Series(
        pd.arrays.BooleanArray(_spread(flag, codes), ~_spread(known, codes)),
        index=raw.index,
    )
    bad = pd.Series(_spread(bad_distinct, codes), index=raw.index)
    why = pd.Series(
        "is not a yes/no flag (expected Y/N, Yes/No, True/False or 1/0)",
        index=raw.index[bad.to_numpy()],
        dtype=str,
    )
    return Parsed(values=values, bad=bad, why=why)


def fold(text: str) -> str:
    """A value as choices, value maps and row filters compare it: "Face-to-face" -> "facetoface"."""
    return re.sub(r"[\s_-]+", "", text).casefold()


def fold_all(values: pd.Series) -> pd.Series:
    """`fold` for a column of distinct values."""
    return values.str.replace(r"[\s_-]+", "", regex=True).str.casefold()


def folded_codes(raw: pd.Series) -> tuple[npt.NDArray[np.intp], pd.Series, pd.Series]:
    """(codes, distinct values, each folded): fold a column one distinct value at a time."""
    codes, uniques = pd.factorize(raw)
    distinct = pd.Series(uniques, dtype=object).astype(str)
    return codes, distinct, fold_all(distinct)


def parse_choices(raw: pd.Series, choices: tuple[str, ...]) -> Parsed:
    """Match one of `choices` ignoring case, spaces, hyphens and underscores; blank is <NA>.

    The value kept is the choice as the contract (or the council's config) writes it.
    """
    codes, distinct = _distinct(raw)
    canonical = {fold(c): c for c in choices}
    matched_all = fold_all(distinct).map(canonical)
    ok = matched_all.notna().to_numpy(dtype=bool)
    bad_distinct = ~ok & (distinct != "").to_numpy(dtype=bool)
    matched = matched_all.astype(object).where(ok, None).to_numpy(dtype=object)
    values = _spread_text(matched, codes, raw)
    bad = pd.Series(_spread(bad_distinct, codes), index=raw.index)
    listed = ", ".join(choices)
    why = pd.Series(f"is not one of {listed}", index=raw.index[bad.to_numpy()], dtype=str)
    return Parsed(values=values, bad=bad, why=why)


def parse_text(raw: pd.Series) -> Parsed:
    """Keep text as it is (trimmed); blank is <NA>."""
    values = blank_as_missing(raw)
    bad = pd.Series(False, index=raw.index)
    return Parsed(values=values, bad=bad, why=pd.Series("", index=raw.index[:0], dtype=str))


def blank_as_missing(raw: pd.Series) -> pd.Series:
    """`raw.where(raw != "", None)`; an Arrow-backed column keeps its text buffers, shared with
    `raw` (only a validity bitmap is made): an ID column is not copied to be parsed."""
    if not hasattr(raw.array, "__arrow_array__") or not isinstance(raw.dtype, pd.StringDtype):
        return raw.where(raw != "", None)
    import pyarrow as pa

    column = pa.array(raw.array)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    kept = pa.chunked_array([_null_where_blank(c) for c in chunks], type=column.type)
    return pd.Series(pd.array(kept, dtype=raw.dtype), raw.index, name=raw.name)


def _null_where_blank(chunk: Any) -> Any:
    """A (large) string chunk whose blank values are null, on the chunk's own buffers."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keep = pc.fill_null(pc.not_equal(chunk, ""), False)
    if chunk.offset:  # a sliced chunk: its validity bits start at its offset too
        keep = pa.concat_arrays([pa.array(np.zeros(chunk.offset, dtype=bool)), keep])
    return pa.Array.from_buffers(
        chunk.type, len(chunk), [keep.buffers()[1], *chunk.buffers()[1:]], offset=chunk.offset
    )
