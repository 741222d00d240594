"""The JSON document is written by orjson with exactly the bytes the json module would write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.report.compare import read_previous, with_previous
from casecheck.report.results import results_document, results_json

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"


def _json_module(result: RunResult) -> bytes:
    text = json.dumps(results_document(result), indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The sample as of 30/10/2026, compared with the run as of 30/09/2026."""
    config = load_config(SAMPLE)
    export = load_export(SAMPLE, config)
    rules = load_rules(DEFAULT_RULES, config)
    earlier = run_rules(export, rules, dt.date(2026, 9, 30))
    path = tmp_path_factory.mktemp("previous") / "previous.json"
    path.write_bytes(_json_module(earlier))
    return with_previous(run_rules(export, rules, dt.date(2026, 10, 30)), read_previous(path))


def test_orjson_writes_what_the_json_module_writes(compared: RunResult) -> None:
    written = results_json(compared)
    assert isinstance(written, bytes)
    assert written == _json_module(compared)


def test_dates_and_weeks_open_are_made_per_column_as_per_cell(compared: RunResult) -> None:
    records = results_document(compared)["exceptions"]
    findings = compared.findings
    assert len(records) == len(findings) > 0
    for record, (_, row) in zip(records, findings.iterrows(), strict=True):
        assert record["due_date"] == row["due_date"].strftime("%Y-%m-%d")
        assert record["event_date"] == (
            None
            if row["event_date"] is None or row["event_date"] != row["event_date"]
            else row["event_date"].strftime("%Y-%m-%d")
        )
        assert record["first_seen"] == row["first_seen"].strftime("%Y-%m-%d")
        assert record["weeks_open"] == (dt.date(2026, 10, 30) - row["first_seen"].date()).days // 7
        assert record["since_previous"] == row["change"]
        assert record["worker"] == (row["worker"] or None)


def test_a_folder_name_that_is_not_utf8_falls_back_to_the_json_module(
    compared: RunResult,
) -> None:
    odd = dataclasses.replace(
        compared, export=dataclasses.replace(compared.export, folder=Path("exports/\udcff"))
    )
    written = results_json(odd)
    assert written == json.dumps(results_document(odd), indent=2, ensure_ascii=False) + "\n"
