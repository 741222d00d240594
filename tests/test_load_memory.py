"""Loading holds no more than it must: Arrow's allocator, and no copy of a table to keep it."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest
from conftest import PERSONS, WriteExport, load

from casecheck.export.reading import use_lean_memory_pool


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
