"""Presets: merged under the council's config, named errors, their rule packs; join_consecutive."""

from __future__ import annotations

import textwrap
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import pytest
from conftest import run

from casecheck.engine.explain import explain
from casecheck.engine.model import Rule
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.errors import ConfigError, RuleFileError
from casecheck.export.config import CouncilConfig, load_config, preset_config
from casecheck.export.consecutive import join_consecutive
from casecheck.export.load import load_export
from casecheck.export.preset import PRESETS, merge

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp_path: Path, text: str, preset: str | None = None) -> CouncilConfig:
    (tmp_path / "casecheck.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(tmp_path, None, preset)


def _error(tmp_path: Path, text: str, preset: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, text, preset)
    return str(caught.value)


# --- the merge --------------------------------------------------------------------------------
def test_merge_merges_mappings_and_replaces_lists_and_values() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}
    assert merge(base, {"a": {"c": [3]}, "d": "y", "e": 1}) == {
        "a": {"b": 1, "c": [3]},
        "d": "y",
        "e": 1,
    }


def test_a_council_config_is_merged_over_its_preset(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        """\
        preset: ssda903
        council: Anyshire
        export_date: 2026-03-31
        tables:
          placements:
            date_formats: {START_DATE: "%Y-%m-%d"}
        """,
    )
    assert config.preset == "ssda903"
    assert config.council == "Anyshire"
    placements = config.tables["placements"]
    assert placements.file == "episodes.csv"  # from the preset
    assert placements.columns["START_DATE"] == "DECOM"
    assert placements.date_formats == {"START_DATE": "%Y-%m-%d", "END_DATE": "%d/%m/%Y"}
    assert placements.join_consecutive == ["PLACEMENT_TYPE", "URN"]


def test_a_list_in_the_council_config_replaces_the_presets(tmp_path: Path) -> None:
    assert preset_config("ssd").null_values == ["NULL"]
    config = _config(tmp_path, 'preset: ssd\nnull_values: ["N/A"]\n')
    assert config.null_values == ["N/A"]


def test_extends_is_the_same_as_preset(tmp_path: Path) -> None:
    assert _config(tmp_path, "extends: ssd\n") == _config(tmp_path, "preset: ssd\n")


def test_the_preset_option_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(tmp_path, None, "SSDA903")
    assert config == preset_config("ssda903")
    assert config.tables["persons"].file == "header.csv"


def test_settings_naming_a_preset_are_merged_wherever_they_are_validated() -> None:
    """Not only casecheck.yaml: a rule case's config or a library caller's dict too."""
    config = CouncilConfig.model_validate({"preset": "ssd", "council": "Anyshire"})
    assert config.tables["persons"].file == "ssd_person.csv"
    assert config == CouncilConfig.model_validate(config.model_dump())  # merging again: the same
    with pytest.raises(
        ValueError, match=r'unknown preset "nope" \(the presets are: ssda903, ssd\)'
    ):
        CouncilConfig.model_validate({"preset": "nope"})


def test_the_preset_option_with_a_config_file_that_names_none(tmp_path: Path) -> None:
    config = _config(tmp_path, "council: Anyshire\n", preset="ssd")
    assert (config.preset, config.council) == ("ssd", "Anyshire")


def test_an_unknown_preset_in_the_file_names_the_line_and_the_presets(tmp_path: Path) -> None:
    assert _error(tmp_path, "council: Anyshire\npreset: ssda904\n") == (
        f'{tmp_path / "casecheck.yaml"}, line 2: at preset: unknown preset "ssda904" (the '
        "presets are: ssda903, ssd). Correct its spelling, or remove it to describe the export "
        "yourself."
    )


def test_an_unknown_preset_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, None, "mosaic")
    assert str(caught.value) == (
        '--preset: unknown preset "mosaic" (the presets are: ssda903, ssd). Correct its '
        "spelling, or remove it to describe the export yourself."
    )


def test_preset_and_extends_together_are_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, "preset: ssd\nextends: ssd\n") == (
        f"{tmp_path / 'casecheck.yaml'}, line 2: at extends: preset and extends say the same "
        "thing. Keep one of them (preset: is the documented way)."
    )


def test_a_preset_option_that_contradicts_the_file_is_refused(tmp_path: Path) -> None:
    assert _error(tmp_path, "preset: ssd\n", preset="ssda903") == (
        f"{tmp_path / 'casecheck.yaml'}, line 1: at preset: the config names the preset "
        '"ssd" but --preset names "ssda903". Give one of them: remove --preset, or correct '
        "the config."
    )


def test_a_mistake_under_a_preset_names_the_council_files_key_and_line(tmp_path: Path) -> None:
    message = _error(
        tmp_path,
        """\
        preset: ssda903
        tables:
          placements:
            columns:
              START: DECOM
        """,
    )
    assert message.startswith(
        f"{tmp_path / 'casecheck.yaml'}, line 5: at tables > placements > columns > START: "
        '"START" is not a column of placements'
    )


# --- the presets themselves -------------------------------------------------------------------
@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_is_a_valid_config_and_its_pack_loads(name: str) -> None:
    config = preset_config(name)
    rules = load_rules(PRESETS[name].rules, config)
    assert rules, f"{name} has no rules"
    assert PRESETS[name].config_file.parent == ROOT / "casecheck" / "export" / "presets"


def test_the_packs() -> None:
    packs = {
        name: [r.id for r in load_rules(p.rules, CouncilConfig())] for name, p in PRESETS.items()
    }
    assert packs == {
        "ssda903": [
            "cla-reviews-timely",
            "missing-episodes-repeated",
            "placement-stability",
            "temporary-placement-duration",
        ],
        "ssd": [
            "cla-reviews-timely",
            "cla-visits",
            "placement-stability",
            "return-home-interview-offered",
            "worker-changes",
        ],
    }


def test_a_non_editable_install_ships_every_preset_file() -> None:
    """pyproject's package data covers the preset configs and rule packs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["casecheck"]
    package = ROOT / "casecheck"
    files = [p for p in (package / "export" / "presets").rglob("*") if p.is_file()]
    assert files
    for path in files:
        rel = path.relative_to(package).as_posix()
        assert any(fnmatch(rel, pattern) for pattern in patterns), f"{rel} is not package data"


def test_rules_list_uses_the_presets_pack() -> None:
    listed = run("rules", "list", "--preset", "ssda903")
    assert listed.code == 0, listed.err
    assert [line.split()[0] for line in listed.out.splitlines()] == [
        "Looked",  # the heading "Looked after": the 903 return covers looked-after children only
        "cla-reviews-timely",
        "missing-episodes-repeated",
        "placement-stability",
        "temporary-placement-duration",
    ]
    unknown = run("rules", "list", "--preset", "nope")
    assert unknown.code == 2
    assert 'unknown preset "nope" (the presets are: ssda903, ssd)' in unknown.err


def test_rules_explain_says_how_long_a_record_may_last() -> None:
    rule = {r.id: r for r in load_rules(PRESETS["ssda903"].rules, CouncilConfig())}[
        "temporary-placement-duration"
    ]
    logic = dict(explain(rule))
    words = " ".join(logic.values())
    assert (
        "Each row of placements, where PLACEMENT_TYPE is T4 dated (START_DATE) in the last "
        "12 months needs to have ended (END_DATE) no more than 7 days after it started "
        "(START_DATE); one still open counts up to the as-of date. One exception per row that "
        "does not."
    ) in words


# --- records: lasted_more_than ----------------------------------------------------------------
RULE = """\
id: long-stays
title: t
severity: low
area: looked_after
why: w
how_to_fix: h
source: s
checks:
  stay:
    kind: records
    table: placements
    date: START_DATE
    lookback: 12 months
    what: Placement from
"""


def _rule_error(tmp_path: Path, extra: str) -> str:
    (tmp_path / "long-stays.yaml").write_text(RULE + textwrap.indent(extra, "    "), "utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rules(tmp_path, CouncilConfig())
    return str(caught.value)


def test_lasted_more_than_needs_an_end(tmp_path: Path) -> None:
    message = _rule_error(tmp_path, "lasted_more_than: 7 days\n")
    assert message == (
        f"{tmp_path / 'long-stays.yaml'}, line 9: at checks > stay: end and lasted_more_than go "
        "together. Correct the value."
    )


def test_lasted_more_than_and_recorded_are_separate_checks(tmp_path: Path) -> None:
    message = _rule_error(
        tmp_path,
        "end: END_DATE\nlasted_more_than: 7 days\nrecorded: END_DATE\nwithin: 1 days\n",
    )
    assert "recorded/within and end/lasted_more_than are two checks: give each its own" in message


def test_the_end_column_must_be_a_column_of_the_table(tmp_path: Path) -> None:
    message = _rule_error(tmp_path, "end: FINISHED\nlasted_more_than: 7 days\n")
    assert message == (
        f'{tmp_path / "long-stays.yaml"}, line 15: at checks > stay > end: "FINISHED" is not '
        "a column of placements. Use one of END_DATE, PERSON_ID, PLACEMENT_ID, PLACEMENT_TYPE, "
        "REASON_FOR_PLACEMENT_CHANGE, START_DATE."
    )


def test_lasted_more_than_parses(tmp_path: Path) -> None:
    (tmp_path / "long-stays.yaml").write_text(
        RULE + "    end: END_DATE\n    lasted_more_than: 6 weeks\n", "utf-8"
    )
    (rule,) = load_rules(tmp_path, CouncilConfig())
    assert isinstance(rule, Rule)
    assert str(rule.checks["stay"].lasted_more_than) == "6 weeks"  # type: ignore[union-attr]


# --- join_consecutive -------------------------------------------------------------------------
def _frame(rows: list[tuple[str, str, str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "PERSON_ID": [r[0] for r in rows],
            "START_DATE": pd.to_datetime([r[1] for r in rows]),
            "END_DATE": pd.to_datetime([r[2] for r in rows]),
            "PLACEMENT_TYPE": [r[3] for r in rows],
        },
        index=range(2, 2 + len(rows)),
    )


def test_join_consecutive_joins_runs_and_keeps_the_first_rows_key_and_start() -> None:
    frame = _frame(
        [
            ("A", "2025-01-01", "2025-02-01", "U1"),
            ("A", "2025-02-01", "2025-03-01", "U1"),  # continues row 2
            ("A", "2025-03-01", "2025-03-20", "U1"),  # continues again
            ("B", "2025-03-20", "2025-05-01", "U1"),  # another child
            ("A", "2025-03-21", None, "U1"),  # a day's gap: a new placement
            ("A", "2025-05-01", "2025-06-01", "K2"),
            ("A", "2025-06-01", None, "U4"),  # another type
        ]
    )
    joined = join_consecutive(frame, "START_DATE", "END_DATE", ["PLACEMENT_TYPE"])
    assert list(joined.index) == [2, 5, 6, 7, 8]
    assert joined.loc[2, "END_DATE"] == pd.Timestamp("2025-03-20")
    assert joined.loc[2, "START_DATE"] == pd.Timestamp("2025-01-01")
    assert pd.isna(joined.loc[6, "END_DATE"])


def test_a_run_ending_open_stays_open_and_blank_values_are_equal() -> None:
    frame = _frame(
        [
            ("A", "2025-01-01", "2025-02-01", None),
            ("A", "2025-02-01", None, None),
        ]
    )
    joined = join_consecutive(frame, "START_DATE", "END_DATE", ["PLACEMENT_TYPE"])
    assert list(joined.index) == [2]
    assert pd.isna(joined.loc[2, "END_DATE"])


def test_the_loader_joins_consecutive_rows_and_counts_them_as_used(tmp_path: Path) -> None:
    (tmp_path / "persons.csv").write_text("PERSON_ID,DATE_OF_BIRTH\nC1,2012-03-04\n", "utf-8")
    (tmp_path / "placements.csv").write_text(
        "PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,PLACEMENT_TYPE\n"
        "E1,C1,2025-01-06,2025-03-03,U4\n"
        "E2,C1,2025-03-03,2025-05-01,U4\n"
        "E3,C1,2025-05-01,,K2\n",
        "utf-8",
    )
    config = CouncilConfig.model_validate(
        {"tables": {"placements": {"join_consecutive": ["PLACEMENT_TYPE"]}}}
    )
    export = load_export(tmp_path, config)
    placements = export.tables["placements"]
    assert placements["PLACEMENT_ID"].tolist() == ["E1", "E3"]
    assert placements["END_DATE"].tolist()[0] == pd.Timestamp("2025-05-01")
    count = export.counts["placements"]
    assert (count.read, count.used, count.set_aside) == (3, 3, 0)
    assert export.joined == {"placements": 1}


def test_join_consecutive_on_a_table_without_periods_is_refused(tmp_path: Path) -> None:
    message = _error(tmp_path, "tables:\n  persons:\n    join_consecutive: [GENDER]\n")
    assert message == (
        f"{tmp_path / 'casecheck.yaml'}, line 3: at tables > persons > join_consecutive: persons "
        "rows have no start and end to join (only allocations, placements, missing_episodes, "
        "cp_plans, cin_plans can join consecutive rows). Remove join_consecutive from this table."
    )


def test_join_consecutive_names_known_columns(tmp_path: Path) -> None:
    message = _error(tmp_path, "tables:\n  placements:\n    join_consecutive: [PLACE]\n")
    assert message == (
        f"{tmp_path / 'casecheck.yaml'}, line 3: at tables > placements > join_consecutive > "
        'item 1: "PLACE" is not a column of placements (its columns are: PLACEMENT_ID, '
        "PERSON_ID, START_DATE, END_DATE, PLACEMENT_TYPE, REASON_FOR_PLACEMENT_CHANGE). Name "
        "contract columns, or columns declared under extra_columns."
    )


def test_the_default_pack_is_unchanged_without_a_preset() -> None:
    listed = run("rules", "list")
    listed_ids = [line.split()[0] for line in listed.out.splitlines() if line.startswith("  ")]
    assert sorted(listed_ids) == sorted(p.stem for p in DEFAULT_RULES.glob("*.yaml"))
