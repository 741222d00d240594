"""Loading holds no more than it must: Arrow's allocator, and no copy of a table to keep it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import PERSONS, WriteExport, load

from casecheck.export.load import same_codes
from casecheck.export.parsing import blank_as_missing
from casecheck.export.reading import parse_csv_bytes, read_file, use_lean_memory_pool


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
