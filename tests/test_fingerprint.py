"""Fingerprints, compared week to week, are a documented versioned hash pinned here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from casecheck.cli import main
from casecheck.engine.run import _fingerprints, fingerprint

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
# (rule_id, check, PERSON_ID, event) -> fingerprint: if one changes, every council's weekly
# comparison breaks, so a change needs a new schema_version and a README note. The second is
# P000020's exception in tests/golden/sample.csv.
PINNED = {
    ("placement-plan-per-move", "plan", "P000004", "L000012"): "8e1bbe58a15f4270",
    ("cla-reviews-timely", "reviews", "P000020", "since:2026-06-14"): "2481c1a29484471b",
    ("supervision-uploaded", "written-up", "000123", "N-1"): "37f2e1d27335dabf",
    ("worker-changes", "changes", "P|1", "3-12 months"): "1a1c959ad7ff9edb",
    ("r", "c", "é\u2028\x00", '"'): "8067fbda62b4ae1a",
}


@pytest.mark.parametrize(("fields", "expected"), list(PINNED.items()))
def test_fingerprint_values_are_pinned(fields: tuple[str, str, str, str], expected: str) -> None:
    assert fingerprint(*fields) == expected


def test_fingerprint_is_blake2b_of_netstrings_as_the_readme_says() -> None:
    digest = hashlib.blake2b(b"1:r,1:c,2:P1,2:E1,", digest_size=8, person=b"casecheck-fp-v2")
    assert fingerprint("r", "c", "P1", "E1") == digest.hexdigest()
    key = b"23:placement-plan-per-move,4:plan,7:P000004,7:L000012,"
    digest = hashlib.blake2b(key, digest_size=8, person=b"casecheck-fp-v2")
    assert fingerprint("placement-plan-per-move", "plan", "P000004", "L000012") == (
        digest.hexdigest()
    )


def test_fields_cannot_run_into_each_other() -> None:
    assert fingerprint("a", "b", "c|d", "e") != fingerprint("a", "b", "c", "d|e")
    assert fingerprint("a", "b", "c1:d", "e") != fingerprint("a", "b", "c", "d,1:e")
    assert fingerprint("a", "b", "é", "e") != fingerprint("a", "b", "e", "é")


def test_the_vectorised_fingerprints_hash_each_row_as_fingerprint_does() -> None:
    rows = [*PINNED, *PINNED]  # repeated keys are hashed once and spread back
    frame = pd.DataFrame(rows, columns=["rule_id", "check", "PERSON_ID", "event_ref"])
    frame.index = pd.Index(range(100, 100 + len(rows)))
    for columns in (frame, frame.astype(object)):  # Arrow-backed strings, and Python objects
        got = _fingerprints(columns)
        assert got.index.equals(frame.index)
        assert got.tolist() == [fingerprint(*r) for r in rows]
    assert _fingerprints(frame.iloc[:0]).tolist() == []


def test_previous_results_of_schema_version_1_are_refused_with_the_way_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "last-week.json"
    old.write_text(
        json.dumps({"schema_version": 1, "as_of": "2026-10-23", "exceptions": []}),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as caught:
        main(["check", str(SAMPLE), "--as-of", "2026-10-30", "--previous", str(old)])
    assert caught.value.code == 2
    assert capsys.readouterr().err == (
        f"error: {old}: has schema_version 1, whose fingerprints cannot be matched with this "
        "casecheck's (schema_version 2 makes them another way). Run last week's export again "
        "with this casecheck (same --as-of, --format json) and compare with that file, or "
        "leave --previous out this once.\n"
    )
