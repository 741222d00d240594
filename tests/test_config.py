"""The council config (casecheck.yaml): valid settings, and every error naming key and line."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from casecheck.errors import CasecheckError, ConfigError
from casecheck.export.config import (
    CouncilConfig,
    default_evidence,
    evidence_vocabulary,
    load_config,
    normalise_names,
)

TABLE_NAMES = (
    "persons, allocations, placements, workflow_steps, documents, case_notes, visits, "
    "missing_episodes, contacts, cp_plans, cin_plans"
)
PERSONS_COLUMNS = "PERSON_ID, DATE_OF_BIRTH, GENDER, ETHNICITY, AGE_ESTIMATED, UASC"
CODES = "(%d day, %m month, %Y year, %H hour, %M minute, %S second)"


def write(tmp_path: Path, text: str, name: str = "casecheck.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.exit_code == 2
    return str(caught.value).replace(str(path), "casecheck.yaml")


def test_valid_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        council: Anytown
        export_date: 2025-03-31
        tables:
          persons:
            file: children.csv
            columns:
              PERSON_ID: Child Ref
              DATE_OF_BIRTH: DOB
            date_formats:
              DATE_OF_BIRTH: "%d.%m.%Y"
          visits:
            date_formats:
              ACTUAL_DATE: "%d/%m/%Y %H:%M"
        evidence:
          supervision:
            note_types: [Supervision Record]
        closure_days:
          - 2024-12-25
          - 2024-12-26
        rules:
          cla-visits:
            enabled: false
        """,
    )
    config = load_config(tmp_path)
    assert config.council == "Anytown"
    assert config.export_date == dt.date(2025, 3, 31)
    persons = config.tables["persons"]
    assert persons.file == "children.csv"
    assert persons.columns == {"PERSON_ID": "Child Ref", "DATE_OF_BIRTH": "DOB"}
    assert persons.date_formats == {"DATE_OF_BIRTH": "%d.%m.%Y"}
    assert config.tables["visits"].date_formats == {"ACTUAL_DATE": "%d/%m/%Y %H:%M"}
    assert config.evidence["supervision"].note_types == ["Supervision Record"]
    assert config.closure_days == [dt.date(2024, 12, 25), dt.date(2024, 12, 26)]
    assert config.rules == {"cla-visits": {"enabled": False}}


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == CouncilConfig()


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_config_means_defaults(tmp_path: Path, text: str) -> None:
    write(tmp_path, text)
    assert load_config(tmp_path) == CouncilConfig()


def test_config_file_given_explicitly(tmp_path: Path) -> None:
    write(tmp_path, "council: In the folder\n")
    elsewhere = write(tmp_path, "council: Elsewhere\n", name="other.yaml")
    assert load_config(tmp_path, elsewhere).council == "Elsewhere"


def test_config_file_given_but_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, path)
    assert str(caught.value) == f"{path}: file not found. Check the path."


def test_config_with_a_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "casecheck.yaml").write_bytes(b"\xef\xbb\xbfcouncil: Anytown\n")
    assert load_config(tmp_path).council == "Anytown"


def test_config_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "casecheck.yaml").write_bytes("council: Zoë\n".encode("cp1252"))
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'casecheck.yaml'}: is not UTF-8 text (invalid continuation byte). "
        "Save the file as UTF-8."
    )


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert error_for(tmp_path, "council: Anytown\ncouncill: Anytown\n") == (
        'casecheck.yaml, line 2: at councill: unknown key "councill" (the keys here are: '
        "preset, council, export_date, null_values, tables, evidence, closure_days, "
        "handover_working_days, rules, history, waivers, waiver_max_months). "
        "Remove it or correct its spelling."
    )


def test_unknown_table(tmp_path: Path) -> None:
    text = """
        council: Anytown
        tables:
          persons:
            file: children.csv
          person_visits:
            file: visits.csv
        """
    assert error_for(tmp_path, text) == (
        'casecheck.yaml, line 5: at tables > person_visits: unknown table "person_visits" '
        f"(the tables are: {TABLE_NAMES}). Correct its spelling, or remove it."
    )


def test_unknown_key_in_a_table(tmp_path: Path) -> None:
    assert error_for(tmp_path, "tables:\n  persons:\n    colums: {}\n") == (
        'casecheck.yaml, line 3: at tables > persons > colums: unknown key "colums" '
        "(the keys here are: file, files, id, columns, date_formats, constants, values, lookups, "
        "flags, keep, extra_columns, join_consecutive). Remove it or correct its spelling."
    )


def test_unknown_column(tmp_path: Path) -> None:
    text = """
        tables:
          persons:
            columns:
              PERSON_ID: Child Ref
              DOB: Date of Birth
        """
    assert error_for(tmp_path, text) == (
        'casecheck.yaml, line 5: at tables > persons > columns > DOB: "DOB" is not a column of '
        f"persons (its columns are: {PERSONS_COLUMNS}). The key is the contract's name (one of "
        "those) and the value the council's name for it."
    )


def test_column_mapping_written_the_wrong_way_round(tmp_path: Path) -> None:
    text = """
        tables:
          persons:
            columns:
              Child Ref: person_id
        """
    assert error_for(tmp_path, text) == (
        'casecheck.yaml, line 4: at tables > persons > columns > Child Ref: "Child Ref" is not a '
        f"column of persons (its columns are: {PERSONS_COLUMNS}). The key is the contract's name "
        "and the value the council's: write PERSON_ID: Child Ref."
    )


def test_two_columns_mapped_to_one(tmp_path: Path) -> None:
    text = """
        tables:
          persons:
            columns:
              GENDER: Sex
              ETHNICITY: sex
        """
    assert error_for(tmp_path, text) == (
        'casecheck.yaml, line 5: at tables > persons > columns > ETHNICITY: "sex" is already the '
        "column read as GENDER. A column can be read as one contract column only: correct one of "
        "them."
    )


@pytest.mark.parametrize(
    ("fmt", "what", "suggestion"),
    [
        ("DD/MM/YYYY", "has no %-codes", "%d/%m/%Y"),
        ("YYYY-MM-DD HH:MM", "has no %-codes", "%Y-%m-%d %H:%M"),
        ("%d/%m/%Q", "cannot be used ('Q' is a bad directive in format '%d/%m/%Q')", None),
        ("%d/%m", "has no year", None),
        ("%H:%M", "has no year or month or day", None),
    ],
)
def test_bad_date_format(tmp_path: Path, fmt: str, what: str, suggestion: str | None) -> None:
    text = f"""
        tables:
          persons:
            date_formats:
              DATE_OF_BIRTH: "{fmt}"
        """
    like = suggestion or "%d/%m/%Y %H:%M"
    assert error_for(tmp_path, text) == (
        "casecheck.yaml, line 4: at tables > persons > date_formats > DATE_OF_BIRTH: "
        f'the date format "{fmt}" {what}. Write it with strftime codes, like "{like}" {CODES}.'
    )


def test_date_format_for_a_column_that_is_not_a_date(tmp_path: Path) -> None:
    text = """
        tables:
          persons:
            date_formats:
              GENDER: "%d/%m/%Y"
        """
    assert error_for(tmp_path, text) == (
        "casecheck.yaml, line 4: at tables > persons > date_formats > GENDER: GENDER is not a "
        "date column of persons (its date columns are: DATE_OF_BIRTH). Remove it, or correct "
        "its spelling."
    )


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "council: Anytown\ntables:\n  persons:\n    file: [children.csv\n",
            5,
            "expected ',' or ']', but got '<stream end>'",
        ),
        ("council: Anytown\n tables: x\n", 2, "mapping values are not allowed here"),
        (
            "council: Anytown\n\tcouncil: x\n",
            2,
            "found character '\\t' that cannot start any token",
        ),
        ('council: "Anytown\n', 2, "found unexpected end of stream"),
    ],
)
def test_malformed_yaml(tmp_path: Path, text: str, line: int, problem: str) -> None:
    assert error_for(tmp_path, text) == (
        f"casecheck.yaml, line {line}: is not valid YAML ({problem}). "
        "Check the indentation and quoting on that line and the one before it."
    )


def test_repeated_key(tmp_path: Path) -> None:
    text = """
        tables:
          persons:
            file: a.csv
          persons:
            file: b.csv
        """
    assert error_for(tmp_path, text) == (
        'casecheck.yaml, line 4: the key "persons" appears twice in the same place. '
        "Merge the two into one (YAML would silently keep only the last)."
    )


def test_impossible_date(tmp_path: Path) -> None:
    assert error_for(tmp_path, "council: A\nexport_date: 2025-13-01\n") == (
        'casecheck.yaml, line 2: at export_date: "2025-13-01" is not a date. '
        "Write it as YYYY-MM-DD."
    )


def test_closure_day_not_a_date(tmp_path: Path) -> None:
    assert error_for(tmp_path, "closure_days:\n  - 2024-12-25\n  - 26/12/2024\n") == (
        'casecheck.yaml, line 3: at closure_days > item 2: "26/12/2024" is not a date. '
        "Write it as YYYY-MM-DD."
    )


def test_wrong_shapes(tmp_path: Path) -> None:
    assert error_for(tmp_path, "tables:\n  - persons\n") == (
        "casecheck.yaml, line 1: at tables: must be a set of keys with values (key: value), "
        "not a list or a single value. Write each key on its own line, indented under this one."
    )
    assert error_for(tmp_path, "- council\n") == (
        "casecheck.yaml, line 1: must be a set of settings (council:, tables:, evidence:, "
        "closure_days:), not a list or a single value. Write one setting a line, like "
        '"council: Anytown".'
    )


def test_several_problems_are_listed_in_line_order(tmp_path: Path) -> None:
    text = """
        tables:
          person: {}
          visits:
            columns:
              SEEN: CHILD_SEEN_FLAG
        councill: x
        """
    assert error_for(tmp_path, text) == (
        "casecheck.yaml: 3 problems:\n"
        '  line 2, at tables > person: unknown table "person" '
        f"(the tables are: {TABLE_NAMES}). Correct its spelling, or remove it.\n"
        '  line 5, at tables > visits > columns > SEEN: "SEEN" is not a column of visits '
        "(its columns are: VISIT_ID, PERSON_ID, VISIT_TYPE, ACTUAL_DATE, CHILD_SEEN, SEEN_ALONE, "
        "VISIT_METHOD, WORKER_ID). The key is the contract's name (one of those) and the value "
        "the council's name for it.\n"
        '  line 6, at councill: unknown key "councill" (the keys here are: preset, council, '
        "export_date, null_values, tables, evidence, closure_days, handover_working_days, rules, "
        "history, waivers, waiver_max_months). "
        "Remove it or correct its spelling."
    )


def test_unknown_evidence_key(tmp_path: Path) -> None:
    assert error_for(tmp_path, "evidence:\n  supervision:\n    note_type: [x]\n") == (
        'casecheck.yaml, line 3: at evidence > supervision > note_type: unknown key "note_type" '
        "(the keys here are: replace, step_types, document_categories, document_sub_categories, "
        "note_types). Remove it or correct its spelling."
    )


def test_config_error_is_a_casecheck_error() -> None:
    assert issubclass(ConfigError, CasecheckError)


# --- evidence vocabulary -------------------------------------------------------------------


def test_default_evidence_is_shipped() -> None:
    vocab = evidence_vocabulary(CouncilConfig())
    assert set(vocab.kinds) == set(default_evidence())
    assert "case supervision" in vocab.names("supervision", "note_types")
    assert vocab.names("no such kind", "note_types") == frozenset()


def test_evidence_is_added_to_the_defaults(tmp_path: Path) -> None:
    write(tmp_path, "evidence:\n  supervision:\n    note_types: ['  Reflective   SUPERVISION ']\n")
    names = evidence_vocabulary(load_config(tmp_path)).names("supervision", "note_types")
    assert names == {"case supervision", "management supervision", "reflective supervision"}


def test_evidence_replaces_the_defaults(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        evidence:
          supervision:
            replace: true
            note_types: [Reflective Supervision]
        """,
    )
    vocab = evidence_vocabulary(load_config(tmp_path))
    assert vocab.names("supervision", "note_types") == {"reflective supervision"}
    assert vocab.names("supervision", "step_types") == frozenset()
    assert "placement plan" in vocab.names("placement_plan", "step_types")  # others untouched


def test_new_evidence_kind(tmp_path: Path) -> None:
    write(tmp_path, "evidence:\n  life_story:\n    document_categories: [Life Story Work]\n")
    vocab = evidence_vocabulary(load_config(tmp_path))
    assert vocab.names("life_story", "document_categories") == {"life story work"}


def test_evidence_matching_is_case_insensitive_and_trimmed() -> None:
    names = evidence_vocabulary(CouncilConfig()).names("supervision", "note_types")
    recorded = pd.Series(["Case Supervision", "  case   SUPERVISION ", "Case Supervisions", ""])
    assert normalise_names(recorded).isin(names).tolist() == [True, True, False, False]
