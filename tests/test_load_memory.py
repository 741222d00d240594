"""The loader's lean paths (Arrow's pool, no copies, dates read in numpy) give the same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import PERSONS, WriteExport, load
from hypothesis import given, settings
from hypothesis import strategies as st

from casecheck.export import parsing, reading
from casecheck.export.load import ascending, same_codes
from casecheck.export.parsing import (
    FORMAT_OF_SHAPE,
    OUT_OF_RANGE,
    _fixed_width,
    _parse_date_values,
    blank_as_missing,
)
from casecheck.export.reading import (
    _may_be_padded,
    large_blocks_from_the_system,
    parse_csv_bytes,
    read_file,
    use_lean_memory_pool,
)


@pytest.fixture
def arrow_pool() -> Iterator[None]:
    """Run with the system pool as the default, and put the process's pool back afterwards."""
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    yield
    pa.set_memory_pool(before)


@pytest.mark.skipif("jemalloc" not in pa.supported_memory_backends(), reason="no jemalloc")
def test_loading_hands_arrow_allocations_to_jemalloc(
    arrow_pool: None, write_export: WriteExport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    load(write_export({"persons.csv": PERSONS}))
    assert pa.default_memory_pool().backend_name == "jemalloc"


def test_a_pool_the_user_chose_is_kept(arrow_pool: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
    use_lean_memory_pool()
    assert pa.default_memory_pool().backend_name == "system"


def _sliced_column(*chunks: list[str | None]) -> pd.Series:
    """A str column as the reader makes it: Arrow chunks, the first sliced past the header."""
    arrays = [pa.array(c, type=pa.large_string()) for c in chunks]
    return pa.table({"A": pa.chunked_array(arrays)}).slice(1).to_pandas()["A"]


def test_blank_as_missing_is_where_and_shares_the_text() -> None:
    raw = _sliced_column(["header", "x", "", " y"], ["", "z", None])
    raw.index = pd.RangeIndex(2, 2 + len(raw), name="row")
    got = blank_as_missing(raw)
    pd.testing.assert_series_equal(got, raw.where(raw != "", None))
    assert got.isna().tolist() == [False, True, False, True, False, True]
    assert got.dropna().tolist() == ["x", " y", "z"]
    text = [c.buffers()[2].address for c in pa.array(got.array).chunks]
    assert text == [c.buffers()[2].address for c in pa.array(raw.array).chunks]


def test_blank_as_missing_on_a_column_not_held_by_arrow() -> None:
    raw = pd.Series(["a", "", "b"], dtype=object)
    pd.testing.assert_series_equal(blank_as_missing(raw), raw.where(raw != "", None))


def test_same_codes_give_equal_values_equal_codes_across_columns() -> None:
    first = _sliced_column(["header", "b", "", "a"], ["b"])
    second = pd.Series(["a", "", "c"], dtype="str")
    codes = same_codes([first, second])
    values = ["b", "", "a", "b", "a", "", "c"]
    assert len(codes) == len(values)
    for i, v in enumerate(values):
        for j, w in enumerate(values):
            assert (codes[i] == codes[j]) == (v == w), (v, w)
    objects = same_codes([pd.Series(values, dtype=object)])
    assert list(pd.factorize(objects)[0]) == list(pd.factorize(codes)[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=3), max_size=5), min_size=1, max_size=4))
def test_ascending_means_no_value_is_there_twice(columns: list[list[str]]) -> None:
    """The duplicate check's shortcut: ascending exactly when the values, end to end, are
    sorted and distinct as text (by code point, as Arrow compares UTF-8), or by length and
    then as text (numbers written without leading zeros)."""
    held = [_sliced_column(["header", *c]) for c in columns]
    values = [v for c in columns for v in c]
    expected = all(a.encode() < b.encode() for a, b in pairwise(values)) or all(
        (len(a.encode()), a.encode()) < (len(b.encode()), b.encode()) for a, b in pairwise(values)
    )
    assert ascending(held) == expected
    if expected:
        assert len(set(same_codes(held))) == len(values)


def test_ascending_is_false_where_it_cannot_tell() -> None:
    assert not ascending([pd.Series(["a", "b"], dtype=object)])  # not held by Arrow
    assert not ascending([_sliced_column(["header", "a", None, "b"])])
    assert ascending([_sliced_column(["header"]), _sliced_column(["header", "x"])])
    assert ascending([_sliced_column(["header", "98", "99", "100", "101"])])  # as numbers
    assert not ascending([_sliced_column(["header", "98", "99", "100", "100"])])


def test_a_file_read_by_arrow_is_trimmed_as_pandas_trims(tmp_path: Path) -> None:
    body = ' PERSON_ID ,NOTE\n  P1\t,"two\nlines "\n\u00a0P2\u2003,\n,\n'
    (tmp_path / "p.csv").write_text("\ufeff" + body, encoding="utf-8")
    frame, encoding = read_file(tmp_path, "p.csv", frozenset())
    untrimmed, _ = parse_csv_bytes(body.encode("utf-8"), "p.csv")
    assert encoding == "utf-8-sig"
    assert list(frame.columns) == [" PERSON_ID ", "NOTE"]
    for column in frame.columns:
        assert frame[column].tolist() == untrimmed[column].str.strip().tolist()
    assert frame.iloc[:, 0].tolist() == ["P1", "P2", ""]
    assert frame["NOTE"].tolist() == ["two\nlines", "", ""]
    assert list(frame.index) == [2, 3, 4]


def test_a_windows_1252_file_is_trimmed_too(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_bytes(b"PERSON_ID,TEAM\nP1 , Caf\xe9 \n")
    frame, encoding = read_file(tmp_path, "p.csv", frozenset())
    assert encoding == "cp1252"
    assert frame.iloc[0].tolist() == ["P1", "Café"]


FIXED_FORMATS = [f for f in FORMAT_OF_SHAPE.values() if "%f" not in f] + ["%Y%m%d", "%d.%m.%Y"]


MONTHS, DAYS = ["01", "02", "12", "13", "00"], ["28", "29", "30", "31", "01"]
DAMAGE = ["7", "-", "/", " ", "T", "a", "\u0663"]  # \u0663: an Arabic-Indic 3, a digit to re


def _written(fmt: str, n: int) -> str:
    """A value written in `fmt` from the number `n` (one draw per value keeps the test fast):
    mostly a real date, sometimes not (29 February 2023, month 13, hour 24, second 60),
    sometimes damaged (a character changed or added)."""
    pick, n = divmod(n, 1 << 24)
    odd = pick % 8 == 0  # one value in eight has a field out of its range
    fields = {
        "%Y": f"{1850 + n % 301:04d}",
        "%m": MONTHS[n % 5] if odd else f"{1 + n % 12:02d}",
        "%d": DAYS[n // 5 % 5] if pick % 3 else f"{1 + n // 5 % 28:02d}",
        "%H": f"{n // 7 % (100 if odd else 24):02d}",
        "%M": f"{n // 11 % (100 if odd else 60):02d}",
        "%S": f"{n // 13 % (62 if odd else 60):02d}",
    }
    text = fmt
    for directive, value in fields.items():
        text = text.replace(directive, value)
    if pick % 5 == 0:
        at = pick // 5 % (len(text) + 1)
        text = text[:at] + DAMAGE[pick // 7 % len(DAMAGE)] + text[at + pick // 11 % 2 :]
    return text


def _pattern(fmt: str) -> str:
    """A regular expression for the values laid out as `fmt` says: ASCII digits, its separators."""
    pattern, chars = "", iter(fmt)
    for char in chars:
        pattern += (
            ("[0-9]{4}" if next(chars) == "Y" else "[0-9]{2}") if char == "%" else re.escape(char)
        )
    return pattern


written_dates = st.tuples(
    st.sampled_from(FIXED_FORMATS), st.lists(st.integers(0, 1 << 40), min_size=1, max_size=60)
).map(lambda case: (case[0], [_written(case[0], n) for n in case[1]]))


@settings(max_examples=20, deadline=None)
@given(written_dates)
def test_fixed_width_dates_are_the_dates_pandas_reads(case: tuple[str, list[str]]) -> None:
    fmt, cells = case
    values = pd.Series(cells, dtype="str")
    read, stamps = _fixed_width(values, fmt)
    expected = pd.to_datetime(values, format=fmt, errors="coerce").to_numpy()
    assert (stamps[read] == expected[read].astype("datetime64[s]")).all()
    # Every value written exactly in the layout, real and in casecheck's years, is read.
    years = expected.astype("datetime64[Y]").astype("int64") + 1970
    layout = _pattern(fmt)
    laid_out = np.array([re.fullmatch(layout, v) is not None for v in cells])
    real = ~np.isnat(expected) & (years >= 1900) & (years <= 2089)
    if "%S" in fmt:  # pandas also reads a leap second (:60, :61); numpy leaves it to pandas
        real &= ~values.str[-2:].isin(["60", "61"]).to_numpy()
    assert not (read & ~laid_out).any()
    assert (read == (real & laid_out)).all()


def test_only_values_out_of_the_layout_are_left_to_pandas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = pd.Series(
        ["2024-02-29 10:51", "", "2023-02-29 10:51", "1899-12-31 23:59", "2024-1-5 10:51"],
        dtype="str",
    )
    seen: list[list[str]] = []
    to_datetime = pd.to_datetime

    def watched(arg: pd.Series, **kwargs: Any) -> Any:
        seen.append(arg.tolist())
        return to_datetime(arg, **kwargs)

    # parsing reads pandas through casecheck.lazy's stand-in, which keeps what it has read
    monkeypatch.setattr(parsing.pd, "to_datetime", watched)
    dates, why = _parse_date_values(values, None)
    assert seen == [["2023-02-29 10:51", "1899-12-31 23:59", "2024-1-5 10:51"]]
    assert list(pd.Series(dates)) == [
        pd.Timestamp("2024-02-29 10:51"),
        pd.NaT,
        pd.NaT,
        pd.NaT,
        pd.Timestamp("2024-01-05 10:51"),
    ]
    assert list(why) == [None, None, "is not a real date", OUT_OF_RANGE, None]


TRIMMED = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"


def test_a_column_is_trimmed_whenever_a_value_is_padded() -> None:
    """`_may_be_padded` never misses a value Arrow's trim (pandas' str.strip) would change."""
    pieces = ["", "a", "B7", "é", "日本", "x y", *TRIMMED]
    rng = np.random.default_rng(7)
    for _ in range(300):
        cells = ["".join(rng.choice(pieces, size=rng.integers(0, 3))) for _ in range(6)]
        column = pa.chunked_array(
            [
                pa.array(["header", *cells[:3]], pa.large_string()).slice(1),
                pa.array(cells[3:], pa.large_string()),
            ],
            type=pa.large_string(),
        )
        changed = pc.utf8_trim_whitespace(column).to_pylist() != cells
        assert not changed or _may_be_padded(column), cells
    assert not _may_be_padded(
        pa.chunked_array([pa.array(["P1", "", "2024-01-05"], pa.large_string())])
    )
    # a column of empty values only has no bytes at all (found by the load property test)
    assert not _may_be_padded(pa.chunked_array([pa.array(["", ""], pa.large_string())]))


class _Mallopt:
    """A stand-in for the C library's mallopt that records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.argtypes: list[object] = []

    def __call__(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return 1


def test_large_blocks_are_mapped_from_the_system_unless_the_user_chose(
    arrow_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallopt = _Mallopt()
    monkeypatch.setattr(reading.ctypes, "CDLL", lambda _name: SimpleNamespace(mallopt=mallopt))
    monkeypatch.setattr(reading.sys, "platform", "linux")
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    large_blocks_from_the_system()
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")
    large_blocks_from_the_system()
    assert mallopt.calls == []
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2")
    large_blocks_from_the_system()
    assert mallopt.calls == [(reading.M_MMAP_THRESHOLD, 1 << 20)]


def test_loading_leaves_the_processs_malloc_alone(
    arrow_pool: None, write_export: WriteExport, monkeypatch: pytest.MonkeyPatch
) -> None:
    mallopt = _Mallopt()
    monkeypatch.setattr(reading.ctypes, "CDLL", lambda _name: SimpleNamespace(mallopt=mallopt))
    monkeypatch.setattr(reading.sys, "platform", "linux")
    load(write_export({"persons.csv": PERSONS}))
    assert mallopt.calls == []  # the CLI sets it, not the library


def test_a_c_library_without_mallopt_is_left_alone(
    arrow_pool: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading.ctypes, "CDLL", lambda _name: SimpleNamespace())
    monkeypatch.setattr(reading.sys, "platform", "linux")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    large_blocks_from_the_system()  # no error
