"""A council's own export shape, said in casecheck.yaml: every feature of the open contract.

Null markers, generated row keys, constants, value maps, several files per table, lookups,
membership flags, row filters and extra columns; each with its config mistakes and its input
problems, messages asserted whole.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import PERSONS, WriteExport, lines, load
from hypothesis import given, settings
from hypothesis import strategies as st

from casecheck.errors import ConfigError, ExportError
from casecheck.export.config import load_config
from casecheck.export.load import TableCount
from casecheck.export.parsing import parse_choices, parse_dates
from casecheck.export.schema import VISIT_METHODS, Kind
from casecheck.report.validation import validation_document, validation_text

ASIDE = "until then the row is set aside."
STEPS = "WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS\n"


def config_error(folder: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert caught.value.exit_code == 2
    return str(caught.value).replace(str(folder / "casecheck.yaml"), "casecheck.yaml")


def export_error(folder: Path) -> str:
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert caught.value.exit_code == 2
    return str(caught.value).replace(str(folder), "EXPORT")


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- 1. null markers and timestamps ----------------------------------------------------------


def test_without_null_values_only_an_empty_cell_is_blank(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER\n1,NULL,\n2,2010-01-01,NULL\n"}
    )
    export = load(folder)
    assert lines(export) == [
        'persons.csv, row 2, DATE_OF_BIRTH: "NULL" is not a date (expected YYYY-MM-DD or '
        "DD/MM/YYYY, optionally followed by HH:MM or HH:MM:SS; slash dates are day-first). "
        "Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD; " + ASIDE
    ]
    assert export.tables["persons"]["GENDER"].tolist() == ["NULL"]


def test_null_values_are_blank_in_every_column_any_case(write_export: WriteExport) -> None:
    folder = write_export(
        {
            # NULL unquoted: YAML would read it as nothing; casecheck reads it as "NULL".
            "casecheck.yaml": "null_values: [NULL, N/A]\n",
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER,UASC\n"
            "1,2010-01-01, null ,N/A\n2,NULL,F,Y\n3,2011-01-01,n/a,NULL\n",
        }
    )
    export = load(folder)
    assert lines(export) == [
        "persons.csv, row 3, DATE_OF_BIRTH: is blank, but every child needs a DATE_OF_BIRTH. "
        "Fill it in Mosaic or in the export; " + ASIDE
    ]
    persons = export.tables["persons"]
    assert persons["GENDER"].isna().all()
    assert persons["UASC"].isna().all()


def test_null_values_apply_to_lookup_files(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                """
                null_values: ["NULL"]
                tables:
                  persons:
                    lookups:
                      - file: people.csv
                        on: {PERSON_ID: ID}
                        columns: {GENDER: SEX}
                """
            ),
            "persons.csv": PERSONS,
            "people.csv": "ID,SEX\n000123,NULL\n",
        }
    )
    export = load(folder)
    assert lines(export) == []
    assert export.tables["persons"]["GENDER"].isna().all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-03-31 00:00:00.000", "2010-03-31 00:00:00"),  # SQL Server
        ("2010-03-31T14:05", "2010-03-31 14:05:00"),
        ("2010-03-31T14:05:06", "2010-03-31 14:05:06"),
        ("2010-03-31T14:05:06.25", "2010-03-31 14:05:06.250"),
        ("2010-03-31 14:05:06.123456789", "2010-03-31 14:05:06.123456789"),
        ("31/03/2010 14:05:06.5", "2010-03-31 14:05:06.500"),
    ],
)
def test_default_date_formats_read_timestamps(text: str, expected: str) -> None:
    parsed = parse_dates(pd.Series(["2001-01-01", text], dtype=str))
    assert not parsed.bad.any()
    assert parsed.values.iloc[1] == pd.Timestamp(expected)


def test_fractional_seconds_need_seconds() -> None:
    parsed = parse_dates(pd.Series(["2010-03-31 14:05.5"], dtype=str))
    assert parsed.why.tolist() == [
        "is not a date (expected YYYY-MM-DD or DD/MM/YYYY, optionally followed by HH:MM or "
        "HH:MM:SS; slash dates are day-first)"
    ]


# --- 4. choices and value maps ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Face-to-face", "face_to_face", "FACE  TO FACE", "facetoface", " Face to Face"]
)
def test_choices_ignore_case_spaces_hyphens_and_underscores(text: str) -> None:
    parsed = parse_choices(pd.Series([text.strip()], dtype=str), VISIT_METHODS)
    assert not parsed.bad.any()
    assert parsed.values.tolist() == ["FACE TO FACE"]


def test_value_map(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                """
                tables:
                  visits:
                    values:
                      VISIT_METHOD: {"In person": Face to face, "Teams call": Video}
                      VISIT_TYPE: {Looked after: CLA}
                      CHILD_SEEN: {Seen: "Y", Not seen: "N"}
                """
            ),
            "persons.csv": PERSONS,
            "visits.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE,VISIT_METHOD,VISIT_TYPE,CHILD_SEEN\n"
            "V1,000123,2024-01-01,in person,looked after,seen\n"
            "V2,000123,2024-01-02,Teams Call,CIN,Not Seen\n"
            "V3,000123,2024-01-03,Carrier pigeon,CP,\n",
        }
    )
    export = load(folder)
    visits = export.tables["visits"]
    assert visits["VISIT_METHOD"].tolist()[:2] == ["FACE TO FACE", "VIDEO"]
    assert visits["VISIT_TYPE"].tolist() == ["CLA", "CIN", "CP"]
    assert visits["CHILD_SEEN"].tolist()[:2] == [True, False]
    assert lines(export) == [
        'visits.csv, row 4, VISIT_METHOD: "Carrier pigeon" is not one of FACE TO FACE, VIDEO, '
        "TELEPHONE. Use one of the listed values; until then the cell is treated as blank."
    ]


def test_value_map_for_a_date_column_is_refused(write_export: WriteExport) -> None:
    folder = write_export(
        {"casecheck.yaml": "tables:\n  visits:\n    values:\n      ACTUAL_DATE: {x: y}\n"}
    )
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > values > ACTUAL_DATE: ACTUAL_DATE is a "
        "date column; value maps are for choice, flag and text columns. Remove it."
    )


def test_value_map_to_a_value_that_is_not_a_choice(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                """
                tables:
                  visits:
                    values:
                      VISIT_METHOD:
                        In person: Face to face
                        Zoom: Online
                """
            )
        }
    )
    assert config_error(folder) == (
        'casecheck.yaml, line 6: at tables > visits > values > VISIT_METHOD > Zoom: "Online" '
        "is not one of FACE TO FACE, VIDEO, TELEPHONE. Map it to one of the listed values."
    )


def test_value_map_for_an_unknown_column(write_export: WriteExport) -> None:
    folder = write_export(
        {"casecheck.yaml": "tables:\n  visits:\n    values:\n      METHOD: {x: y}\n"}
    )
    assert config_error(folder) == (
        'casecheck.yaml, line 4: at tables > visits > values > METHOD: "METHOD" is not a column '
        "of visits (its columns are: VISIT_ID, PERSON_ID, VISIT_TYPE, ACTUAL_DATE, CHILD_SEEN, "
        "SEEN_ALONE, VISIT_METHOD, WORKER_ID). Correct its spelling, or declare it under "
        "extra_columns."
    )


# --- 2. generated row keys --------------------------------------------------------------------

EPISODES = "CHILD,DECOM,PLACE\nC1,01/02/2024,U1\nC1,01/05/2024,U2\nC2,01/02/2024,U1\n"
HEADER = "CHILD,DOB\nC1,01/01/2010\nC2,02/02/2012\n"


def _episodes(write_export: WriteExport, key: str, episodes: str = EPISODES) -> Path:
    return write_export(
        {
            "casecheck.yaml": yaml(
                f"""
                tables:
                  persons:
                    file: header.csv
                    columns: {{PERSON_ID: CHILD, DATE_OF_BIRTH: DOB}}
                  placements:
                    file: episodes.csv
                    id: {key}
                    columns: {{PERSON_ID: CHILD, START_DATE: DECOM, PLACEMENT_TYPE: PLACE}}
                """
            ),
            "header.csv": HEADER,
            "episodes.csv": episodes,
        }
    )


def test_id_row_is_the_file_and_row_number(write_export: WriteExport) -> None:
    export = load(_episodes(write_export, "row"))
    assert lines(export) == []
    assert export.tables["placements"]["PLACEMENT_ID"].tolist() == [
        "episodes.csv:2",
        "episodes.csv:3",
        "episodes.csv:4",
    ]
    assert export.generated["placements"] == {"PLACEMENT_ID": "file name:row number (id: row)"}


def test_id_from_columns_joins_them(write_export: WriteExport) -> None:
    folder = _episodes(write_export, "[CHILD, DECOM]")
    first = load(folder)
    assert lines(first) == []
    assert first.tables["placements"]["PLACEMENT_ID"].tolist() == [
        "C1|01/02/2024",
        "C1|01/05/2024",
        "C2|01/02/2024",
    ]
    # Stable from run to run, so the fingerprints built on it are.
    assert load(folder).tables["placements"].equals(first.tables["placements"])


def test_id_parts_holding_the_separator_are_escaped(write_export: WriteExport) -> None:
    episodes = "CHILD,DECOM,PLACE\nC1,01/02/2024,A|B\nC1|01/02/2024,01/02/2024,A\n"
    folder = _episodes(write_export, "[CHILD, PLACE]", episodes)
    folder.joinpath("header.csv").write_text(HEADER + "C1|01/02/2024,01/01/2010\n")
    export = load(folder)
    assert lines(export) == []
    assert export.tables["placements"]["PLACEMENT_ID"].tolist() == [
        "C1|A\\|B",
        "C1\\|01/02/2024|A",
    ]


def test_id_from_columns_that_are_not_unique(write_export: WriteExport) -> None:
    episodes = EPISODES + "C1,01/02/2024,U9\n"
    export = load(_episodes(write_export, "[CHILD, DECOM]", episodes))
    assert lines(export) == [
        'episodes.csv, row 5, PLACEMENT_ID: "C1|01/02/2024" is a duplicate PLACEMENT_ID (made of '
        "CHILD, DECOM): row 2 has it too. Remove the duplicate row, or list more columns under "
        "tables: > placements: > id: so that together they identify a row; until then this "
        "row is set aside."
    ]
    assert export.counts["placements"] == TableCount(read=4, used=3, set_aside=1)


def test_id_naming_a_column_the_file_lacks(write_export: WriteExport) -> None:
    folder = _episodes(write_export, "[CHILD, DEC]")
    assert export_error(folder) == (
        'episodes.csv: has no column "DEC", which casecheck.yaml names under tables: > '
        "placements: > id:. Correct the name in casecheck.yaml, or add the column to "
        "episodes.csv."
    )


def test_a_missing_key_column_suggests_id(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "placements.csv": "PERSON_ID,START_DATE\n000123,2024-01-01\n",
        }
    )
    assert export_error(folder) == (
        "placements.csv: is missing the required column PLACEMENT_ID (columns found: "
        '"PERSON_ID", "START_DATE"). Add the column, or if the council calls it something else, '
        "map it in casecheck.yaml under tables: > placements: > columns: > PLACEMENT_ID: "
        "<its name>. If the file has no PLACEMENT_ID at all, casecheck can make one: write "
        "id: row (the file and row number) or id: [the columns that identify a row] under "
        "tables: > placements:."
    )


def test_id_for_persons_is_refused(write_export: WriteExport) -> None:
    folder = write_export({"casecheck.yaml": "tables:\n  persons:\n    id: row\n"})
    assert config_error(folder) == (
        "casecheck.yaml, line 3: at tables > persons > id: a child's PERSON_ID cannot be "
        "generated: the other tables refer to it. Remove id:, and map the council's child ID "
        "under columns: > PERSON_ID."
    )


def test_id_with_no_columns(write_export: WriteExport) -> None:
    folder = write_export({"casecheck.yaml": "tables:\n  visits:\n    id: []\n"})
    assert config_error(folder) == (
        "casecheck.yaml, line 3: at tables > visits > id: an empty list of columns cannot "
        "identify a row. List the columns that together identify a row, or write id: row."
    )


# --- 3. constants -------------------------------------------------------------------------------

REVIEWS = "CHILD,REVIEW\nC1,01/03/2024\nC2,02/03/2024\n"


def test_constants_are_parsed_like_any_value(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                """
                tables:
                  persons:
                    file: header.csv
                    columns: {PERSON_ID: CHILD, DATE_OF_BIRTH: DOB}
                  workflow_steps:
                    file: reviews.csv
                    id: row
                    columns: {PERSON_ID: CHILD, COMPLETED_ON: REVIEW}
                    constants: {STEP_TYPE: CLA Review, STEP_STATUS: completed}
                """
            ),
            "header.csv": HEADER,
            "reviews.csv": REVIEWS,
        }
    )
    export = load(folder)
    assert lines(export) == []
    steps = export.tables["workflow_steps"]
    assert steps["STEP_TYPE"].tolist() == ["CLA Review", "CLA Review"]
    assert steps["STEP_STATUS"].tolist() == ["COMPLETED", "COMPLETED"]
    assert list(steps.columns[:4]) == [
        "WORKFLOW_STEP_ID",
        "PERSON_ID",
        "STEP_TYPE",
        "STEP_STATUS",
    ]


def test_a_constant_that_is_not_a_choice(write_export: WriteExport) -> None:
    text = "tables:\n  workflow_steps:\n    constants:\n      STEP_STATUS: DONE\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > workflow_steps > constants > STEP_STATUS: the "
        'constant "DONE" is not one of INCOMING, STARTED, COMPLETED, CANCELLED. Correct the value.'
    )


def test_a_constant_for_an_unknown_column(write_export: WriteExport) -> None:
    text = "tables:\n  workflow_steps:\n    constants:\n      STATUS: COMPLETED\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        'casecheck.yaml, line 4: at tables > workflow_steps > constants > STATUS: "STATUS" is not '
        "a column of workflow_steps (its columns are: WORKFLOW_STEP_ID, PERSON_ID, STEP_TYPE, "
        "STEP_STATUS, STARTED_ON, COMPLETED_ON, ASSIGNEE_ID, RESPONSIBLE_TEAM, RAG_RATING, "
        "NEXT_REVIEW_DATE, DELAY_REASON). Correct its spelling, or declare it under extra_columns."
    )


def test_a_column_filled_twice(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          workflow_steps:
            constants: {STEP_TYPE: CLA Review}
            columns: {STEP_TYPE: Type}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > workflow_steps > columns > STEP_TYPE: STEP_TYPE is "
        "filled by a constant, so it is not read from a column. Keep one of them."
    )


# --- 5. several files for one table -------------------------------------------------------------


def _visits(write_export: WriteExport, files: str, **more: str) -> Path:
    return write_export(
        {
            "casecheck.yaml": "tables:\n  visits:\n    id: row\n    files:\n"
            + textwrap.indent(yaml(files), "      "),
            "persons.csv": PERSONS,
            "visits_cla.csv": "PERSON_ID,ACTUAL_DATE\n000123,2024-01-01\n000123,bad\n",
            "visits_cin.csv": "CHILD,DATE\n000123,2024-02-01\n",
            **more,
        }
    )


def test_several_files_with_their_own_mapping(write_export: WriteExport) -> None:
    files = """
        - file: visits_c*.csv
          constants: {VISIT_TYPE: CLA}
        - file: cp.csv
          columns: {PERSON_ID: CHILD, ACTUAL_DATE: DATE}
          constants: {VISIT_TYPE: CP}
        """
    folder = _visits(write_export, files, **{"cp.csv": "CHILD,DATE\n000123,2024-03-01\n"})
    folder.joinpath("visits_cin.csv").write_text("PERSON_ID,ACTUAL_DATE\n000123,2024-02-01\n")
    export = load(folder)
    # A glob's files are read in sorted order: visits_cin.csv before visits_cla.csv.
    assert [s.file for s in export.sources["visits"]] == [
        "visits_cin.csv",
        "visits_cla.csv",
        "cp.csv",
    ]
    assert lines(export) == [
        'visits_cla.csv, row 3, ACTUAL_DATE: "bad" is not a date (expected YYYY-MM-DD or '
        "DD/MM/YYYY, optionally followed by HH:MM or HH:MM:SS; slash dates are day-first). "
        "Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD; " + ASIDE
    ]
    visits = export.tables["visits"]
    assert visits["VISIT_ID"].tolist() == ["visits_cin.csv:2", "visits_cla.csv:2", "cp.csv:2"]
    assert visits["VISIT_TYPE"].tolist() == ["CLA", "CLA", "CP"]
    assert export.counts["visits"] == TableCount(read=4, used=3, set_aside=1)
    assert [s.count for s in export.sources["visits"]] == [
        TableCount(read=1, used=1, set_aside=0),
        TableCount(read=2, used=1, set_aside=1),
        TableCount(read=1, used=1, set_aside=0),
    ]
    assert export.files["visits"] == "visits_cin.csv, visits_cla.csv, cp.csv"
    assert export.file_counts["visits"]["visits_cla.csv"] == TableCount(read=2, used=1, set_aside=1)


def test_a_duplicate_key_in_another_file(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": "tables:\n  visits:\n    files: [a.csv, b.csv]\n",
            "persons.csv": PERSONS,
            "a.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE\nV1,000123,2024-01-01\n",
            "b.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE\nV2,000123,2024-01-01\nV1,000123,2024-01-02\n",
        }
    )
    export = load(folder)
    assert lines(export) == [
        'b.csv, row 3, VISIT_ID: "V1" is a duplicate VISIT_ID: row 2 of a.csv has it too. Remove '
        "the duplicate row, or correct its ID; until then this row is set aside."
    ]


def test_a_glob_that_matches_nothing(write_export: WriteExport) -> None:
    folder = _visits(write_export, "- visits_*.csv\n- home_visits_*.csv\n")
    assert export_error(folder) == (
        'EXPORT: has no file matching "home_visits_*.csv" (under tables: > visits: > files:). '
        "Correct the pattern, or remove it from the list."
    )


def test_a_listed_file_that_is_missing(write_export: WriteExport) -> None:
    folder = _visits(write_export, "- visits_cla.csv\n- visits_cp.csv\n")
    assert export_error(folder) == (
        "EXPORT: has no visits_cp.csv (listed under tables: > visits: > files:). Add the file, "
        "or remove it from the list."
    )


def test_none_of_the_listed_files_means_no_table(write_export: WriteExport) -> None:
    folder = _visits(write_export, "- home.csv\n- school.csv\n")
    export = load(folder)
    assert not export.has("visits")
    assert export.file_of("visits") == "home.csv or school.csv"
    assert "  not in this export: " in validation_text(export)
    assert "visits.csv" not in validation_text(export)


def test_a_file_matched_twice(write_export: WriteExport) -> None:
    folder = _visits(write_export, "- visits_*.csv\n- visits_cla.csv\n")
    assert export_error(folder) == (
        'EXPORT: visits_cla.csv is matched by both "visits_*.csv" and "visits_cla.csv" (under '
        "tables: > visits: > files:). Make each file match one entry only, or it would be read "
        "twice."
    )


def test_file_and_files_together(write_export: WriteExport) -> None:
    text = "tables:\n  visits:\n    file: a.csv\n    files: [b.csv]\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > files: a table is read from file: or "
        "from files:, not both. Move the file: into the files: list."
    )


def test_a_source_mapping_an_unknown_column(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          visits:
            files:
              - visits.csv
              - file: cp.csv
                columns: {DATE: VISIT_DATE}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        'casecheck.yaml, line 6: at tables > visits > files > item 2 > columns > DATE: "DATE" is '
        "not a column of visits (its columns are: VISIT_ID, PERSON_ID, VISIT_TYPE, ACTUAL_DATE, "
        "CHILD_SEEN, SEEN_ALONE, VISIT_METHOD, WORKER_ID). The key is the contract's name (one "
        "of those) and the value the council's name for it."
    )


# --- 6. lookups ---------------------------------------------------------------------------------

STEP_TYPES = "WORKFLOW_STEP_TYPE_ID,DESCRIPTION\n1,CLA Review\n2,Placement Plan\n2,Other\n"
LOOKUP = """
    tables:
      workflow_steps:
        lookups:
          - file: DM_WORKFLOW_STEP_TYPES.csv
            on: {WORKFLOW_STEP_TYPE_ID: WORKFLOW_STEP_TYPE_ID}
            columns: {STEP_TYPE: DESCRIPTION}
    """


def _lookup(write_export: WriteExport, steps: str, config: str = LOOKUP) -> Path:
    return write_export(
        {
            "casecheck.yaml": yaml(config),
            "persons.csv": PERSONS,
            "workflow_steps.csv": steps,
            "DM_WORKFLOW_STEP_TYPES.csv": STEP_TYPES,
        }
    )


def test_a_lookup_brings_a_column_by_key(write_export: WriteExport) -> None:
    steps = (
        "WORKFLOW_STEP_ID,PERSON_ID,WORKFLOW_STEP_TYPE_ID,STEP_STATUS\n"
        "S1,000123,1,COMPLETED\nS2,000123,2,STARTED\nS3,000123,7,STARTED\n"
    )
    export = load(_lookup(write_export, steps))
    assert export.tables["workflow_steps"]["STEP_TYPE"].tolist() == [
        "CLA Review",
        "Placement Plan",
    ]
    assert lines(export) == [
        'workflow_steps.csv, row 4, WORKFLOW_STEP_TYPE_ID: "7" has no row in '
        "DM_WORKFLOW_STEP_TYPES.csv (looked up for STEP_TYPE). Add it to "
        "DM_WORKFLOW_STEP_TYPES.csv, or correct it; " + ASIDE,
        'DM_WORKFLOW_STEP_TYPES.csv, row 4, WORKFLOW_STEP_TYPE_ID: "2" is a duplicate '
        "WORKFLOW_STEP_TYPE_ID in DM_WORKFLOW_STEP_TYPES.csv: row 3 has it too. Remove the "
        "duplicate row from DM_WORKFLOW_STEP_TYPES.csv, or correct its key; until then the first "
        "row with this key is the one looked up.",
    ]
    assert export.counts["workflow_steps"] == TableCount(read=3, used=2, set_aside=1)
    lookup = validation_document(export)["lookup_files"]
    assert lookup == {
        "DM_WORKFLOW_STEP_TYPES.csv": {
            "encoding": "utf-8",
            "read": 3,
            "used": 2,
            "set_aside": 1,
            "used_by": ["workflow_steps"],
        }
    }


def test_an_unmatched_key_for_an_optional_column_blanks_the_cell(
    write_export: WriteExport,
) -> None:
    config = """
        tables:
          visits:
            lookups:
              - file: workers.csv
                on: {WORKER_ID: ID}
                columns: {VISIT_METHOD: METHOD}
        """
    folder = write_export(
        {
            "casecheck.yaml": yaml(config),
            "persons.csv": PERSONS,
            "visits.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE,WORKER_ID\n"
            "V1,000123,2024-01-01,W1\nV2,000123,2024-01-01,W2\nV3,000123,2024-01-01,\n",
            "workers.csv": "ID,METHOD\nW1,Video\n",
        }
    )
    export = load(folder)
    assert lines(export) == [
        'visits.csv, row 3, WORKER_ID: "W2" has no row in workers.csv (looked up for '
        "VISIT_METHOD). Add it to workers.csv, or correct it; until then the cell is treated as "
        "blank."
    ]
    assert export.tables["visits"]["VISIT_METHOD"].tolist()[0] == "VIDEO"
    assert export.counts["visits"].used == 3


def test_a_lookup_column_the_lookup_file_lacks(write_export: WriteExport) -> None:
    steps = "WORKFLOW_STEP_ID,PERSON_ID,WORKFLOW_STEP_TYPE_ID,STEP_STATUS\nS1,000123,1,STARTED\n"
    folder = _lookup(write_export, steps, LOOKUP.replace("DESCRIPTION", "NAME"))
    assert export_error(folder) == (
        'DM_WORKFLOW_STEP_TYPES.csv: has no column "NAME", which casecheck.yaml names under '
        "tables: > workflow_steps: > lookups: > columns:. Correct the name in casecheck.yaml, or "
        "add the column to DM_WORKFLOW_STEP_TYPES.csv."
    )


def test_a_lookup_key_the_source_lacks(write_export: WriteExport) -> None:
    steps = "WORKFLOW_STEP_ID,PERSON_ID,TYPE,STEP_STATUS\nS1,000123,1,STARTED\n"
    assert export_error(_lookup(write_export, steps)) == (
        'workflow_steps.csv: has no column "WORKFLOW_STEP_TYPE_ID", which casecheck.yaml names '
        "under tables: > workflow_steps: > lookups: > on:. Correct the name in casecheck.yaml, "
        "or add the column to workflow_steps.csv."
    )


def test_a_lookup_file_that_is_missing(write_export: WriteExport) -> None:
    steps = "WORKFLOW_STEP_ID,PERSON_ID,WORKFLOW_STEP_TYPE_ID,STEP_STATUS\nS1,000123,1,STARTED\n"
    folder = _lookup(write_export, steps)
    folder.joinpath("DM_WORKFLOW_STEP_TYPES.csv").unlink()
    assert export_error(folder) == (
        "EXPORT: has no DM_WORKFLOW_STEP_TYPES.csv, which casecheck.yaml looks things up in for "
        "workflow_steps. Add the file, or correct its name in casecheck.yaml."
    )


def test_a_lookup_filling_an_unknown_column(write_export: WriteExport) -> None:
    folder = _lookup(write_export, STEPS, LOOKUP.replace("{STEP_TYPE: DESC", "{TYPE: DESC"))
    assert config_error(folder) == (
        "casecheck.yaml, line 6: at tables > workflow_steps > lookups > item 1 > columns > TYPE: "
        '"TYPE" is not a column of workflow_steps (its columns are: WORKFLOW_STEP_ID, PERSON_ID, '
        "STEP_TYPE, STEP_STATUS, STARTED_ON, COMPLETED_ON, ASSIGNEE_ID, RESPONSIBLE_TEAM, "
        "RAG_RATING, NEXT_REVIEW_DATE, DELAY_REASON). Correct its spelling, or declare it under "
        "extra_columns."
    )


# --- 7. membership flags ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["CHILD", "{CHILD: CHILD}", "{PERSON_ID: CHILD}"])
def test_a_flag_from_membership(write_export: WriteExport, key: str) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                f"""
                tables:
                  persons:
                    file: header.csv
                    columns: {{PERSON_ID: CHILD, DATE_OF_BIRTH: DOB}}
                    flags:
                      UASC: {{present_in: uasc.csv, key: {key}}}
                """
            ),
            "header.csv": HEADER + ",03/03/2013\n",
            "uasc.csv": "CHILD,DUC\nC2,\n",
        }
    )
    export = load(folder)
    assert export.tables["persons"]["UASC"].tolist() == [False, True]
    assert export.counts["persons"] == TableCount(read=3, used=2, set_aside=1)
    assert (export.lookup_files["uasc.csv"].read, export.lookup_files["uasc.csv"].set_aside) == (
        1,
        0,
    )


def test_a_flag_for_a_column_that_is_not_a_flag(write_export: WriteExport) -> None:
    text = "tables:\n  persons:\n    flags:\n      GENDER: {present_in: x.csv, key: ID}\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > persons > flags > GENDER: GENDER is a text column, "
        "not a flag. Membership fills flag columns only (Y when the key is present, else N)."
    )


# --- 8. row filters -----------------------------------------------------------------------------

INVOLVEMENTS = (
    "ID,PERSON_ID,WORKER_ID,TEAM_NAME,START_DATE,ROLE\n"
    "I1,000123,W1,Team A,2024-01-01,Allocated Social Worker\n"
    "I2,000123,W2,Team A,2024-01-01,Team Manager\n"
    "I3,000123,W3,Team B,2024-02-01,allocated social-worker\n"
    "I4,000123,W4,Team B,bad,Allocated Social Worker\n"
    "I5,000123,W5,Team B,bad,Personal Adviser\n"
    ",,,,,\n"
)


def _involvements(write_export: WriteExport, keep: str) -> Path:
    return write_export(
        {
            "casecheck.yaml": yaml(
                f"""
                tables:
                  allocations:
                    file: involvements.csv
                    columns: {{ALLOCATION_ID: ID}}
                    keep: {keep}
                """
            ),
            "persons.csv": PERSONS,
            "involvements.csv": INVOLVEMENTS,
        }
    )


def test_rows_left_out_by_the_filter_are_counted_not_reported(write_export: WriteExport) -> None:
    export = load(_involvements(write_export, "{ROLE: [Allocated Social Worker]}"))
    assert export.tables["allocations"]["WORKER_ID"].tolist() == ["W1", "W3"]
    assert lines(export) == [
        'involvements.csv, row 5, START_DATE: "bad" is not a date (expected YYYY-MM-DD or '
        "DD/MM/YYYY, optionally followed by HH:MM or HH:MM:SS; slash dates are day-first). "
        "Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD; " + ASIDE,
        "involvements.csv, row 7: the row is empty. Delete the empty row; until then it is "
        "counted as set aside.",
    ]
    count = export.counts["allocations"]
    assert count == TableCount(read=6, used=2, set_aside=2, filtered=2)
    assert count.read == count.used + count.set_aside + count.filtered
    text = validation_text(export)
    assert "  involvements.csv (allocations): read 6, used 2, set aside 2, filtered 2\n" in text
    assert '    keep: rows whose ROLE is "Allocated Social Worker"\n' in text


def test_a_filter_on_a_column_the_file_lacks(write_export: WriteExport) -> None:
    folder = _involvements(write_export, "{RELATIONSHIP: [Allocated Social Worker]}")
    assert export_error(folder) == (
        'involvements.csv: has no column "RELATIONSHIP", which casecheck.yaml names under '
        "tables: > allocations: > keep:. Correct the name in casecheck.yaml, or add the column "
        "to involvements.csv."
    )


def test_a_filter_on_a_contract_column(write_export: WriteExport) -> None:
    export = load(_involvements(write_export, "{TEAM_NAME: [team b]}"))
    assert export.tables["allocations"]["WORKER_ID"].tolist() == ["W3"]
    assert export.counts["allocations"] == TableCount(read=6, used=1, set_aside=3, filtered=2)


def test_an_empty_filter_is_refused(write_export: WriteExport) -> None:
    folder = write_export({"casecheck.yaml": "tables:\n  allocations:\n    keep: {ROLE: []}\n"})
    assert config_error(folder) == (
        "casecheck.yaml, line 3: at tables > allocations > keep > ROLE: an empty list would leave "
        "out every row. List the values of the rows to keep."
    )


# --- 9. extra columns ---------------------------------------------------------------------------

EXTRA = """
    tables:
      placements:
        extra_columns:
          LS: {kind: choice, choices: [C2, V3, V4], required: true}
          LEGAL_DATE: {kind: date, column: Legal status date}
          NOTES: {kind: free_text}
          SHORT_BREAK: {kind: flag}
    """


def test_extra_columns_are_parsed_validated_and_kept(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(EXTRA),
            "persons.csv": PERSONS,
            "placements.csv": "PLACEMENT_ID,PERSON_ID,START_DATE,LS,Legal status date,NOTES,"
            "SHORT_BREAK\n"
            "P1,000123,2024-01-01,c2,01/01/2024,private words,N\n"
            "P2,000123,2024-01-01,X1,31/02/2024,private words,maybe\n"
            "P3,000123,2024-01-01,,,,\n",
        }
    )
    export = load(folder)
    assert lines(export) == [
        'placements.csv, row 3, LS: "X1" is not one of C2, V3, V4. Use one of the listed values; '
        + ASIDE,
        'placements.csv, row 3, Legal status date (LEGAL_DATE): "31/02/2024" is not a real date. '
        "Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD; until then the cell "
        "is treated as blank.",
        'placements.csv, row 3, SHORT_BREAK: "maybe" is not a yes/no flag (expected Y/N, Yes/No, '
        "True/False or 1/0). Use Y or N (or leave it blank when unknown); until then the cell is "
        "treated as blank.",
        "placements.csv, row 4, LS: is blank, but every placement needs a LS. Fill it in Mosaic "
        "or in the export; " + ASIDE,
    ]
    placements = export.tables["placements"]
    assert placements["LS"].tolist() == ["C2"]
    assert placements["LEGAL_DATE"].tolist() == [pd.Timestamp(2024, 1, 1)]
    assert placements["SHORT_BREAK"].tolist() == [False]
    assert export.columns["placements"]["LS"] is Kind.CHOICE
    assert export.columns["placements"]["NOTES"] is Kind.FREE_TEXT
    assert "private words" not in validation_text(export)


def test_a_free_text_extra_column_is_never_echoed(write_export: WriteExport) -> None:
    config = EXTRA.replace("{kind: free_text}", "{kind: free_text, required: true}")
    folder = write_export(
        {
            "casecheck.yaml": yaml(config),
            "persons.csv": PERSONS,
            "placements.csv": "PLACEMENT_ID,PERSON_ID,START_DATE,LS,NOTES\n"
            "P1,000123,2024-01-01,C2,secret\nP1,000123,2024-01-01,C2,secret\n",
        }
    )
    text = validation_text(load(folder))
    assert "secret" not in text


def test_an_extra_column_named_like_a_contract_column(write_export: WriteExport) -> None:
    text = "tables:\n  visits:\n    extra_columns:\n      visit_type: {kind: text}\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > extra_columns > visit_type: visit_type is "
        "a column of the contract's visits table. Give the extra column another name, or map "
        "the council's column under columns: > VISIT_TYPE."
    )


def test_a_choice_extra_column_needs_choices(write_export: WriteExport) -> None:
    text = "tables:\n  visits:\n    extra_columns:\n      WHERE: {kind: choice}\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > extra_columns > WHERE: a choice column "
        "needs its choices. List them under choices: [a, b]."
    )


def test_an_unknown_extra_column_kind(write_export: WriteExport) -> None:
    text = "tables:\n  visits:\n    extra_columns:\n      WHERE: {kind: place}\n"
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > extra_columns > WHERE > kind: Input should "
        "be 'id', 'date', 'flag', 'choice', 'text' or 'free_text'. Correct the value."
    )


def test_yes_and_no_stay_text(write_export: WriteExport) -> None:
    """YAML 1.1 reads yes, no, on and off as true or false; casecheck keeps them as written."""
    folder = write_export(
        {"casecheck.yaml": "tables:\n  visits:\n    values:\n      CHILD_SEEN: {yes: Y, no: N}\n"}
    )
    assert load_config(folder).tables["visits"].values == {"CHILD_SEEN": {"yes": "Y", "no": "N"}}


def test_a_membership_key_the_other_file_lacks(write_export: WriteExport) -> None:
    text = "tables:\n  persons:\n    flags:\n      UASC: {present_in: uasc.csv, key: PERSON_ID}\n"
    folder = write_export(
        {"casecheck.yaml": text, "persons.csv": PERSONS, "uasc.csv": "CHILD\n000123\n"}
    )
    assert export_error(folder) == (
        'uasc.csv: has no column "PERSON_ID", which casecheck.yaml names under tables: > '
        "persons: > flags: > UASC: > key:. Correct the name in casecheck.yaml, or add the column "
        "to uasc.csv."
    )


# --- 12. the mapping as applied, and the one place that names a table's files -------------------


def test_validate_shows_the_mapping_as_applied(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": yaml(
                """
                null_values: ["NULL"]
                tables:
                  persons:
                    file: header.csv
                    columns: {PERSON_ID: CHILD, DATE_OF_BIRTH: DOB}
                    flags:
                      UASC: {present_in: uasc.csv, key: CHILD}
                  workflow_steps:
                    id: row
                    files:
                      - file: reviews.csv
                        columns: {PERSON_ID: CHILD, COMPLETED_ON: REVIEW}
                        constants: {STEP_TYPE: CLA Review, STEP_STATUS: COMPLETED}
                      - file: steps.csv
                        lookups:
                          - file: types.csv
                            on: {TYPE_ID: ID}
                            columns: {STEP_TYPE: NAME}
                        keep: {ROLE: [Social Worker]}
                    values:
                      STEP_STATUS: {Done: COMPLETED}
                    extra_columns:
                      REVIEW_CODE: {kind: text}
                """
            ),
            "header.csv": HEADER,
            "uasc.csv": "CHILD\nC2\n",
            "reviews.csv": "CHILD,REVIEW,REVIEW_CODE\nC1,01/03/2024,PN1\n",
            "steps.csv": "PERSON_ID,TYPE_ID,STEP_STATUS,ROLE\n"
            "C1,1,Done,Social Worker\nC2,1,Done,Manager\n",
            "types.csv": "ID,NAME\n1,Placement Plan\n",
        }
    )
    export = load(folder)
    assert validation_text(export) == (
        f"Export: {folder}\n"
        "  header.csv (persons): read 2, used 2, set aside 0\n"
        '    columns: PERSON_ID from "CHILD", DATE_OF_BIRTH from "DOB"\n'
        "    generated: UASC = Y when CHILD is in uasc.csv, else N\n"
        "  workflow_steps: read 3, used 2, set aside 0, filtered 1\n"
        "    reviews.csv: read 1, used 1, set aside 0, filtered 0\n"
        '      columns: PERSON_ID from "CHILD", COMPLETED_ON from "REVIEW"\n'
        '      constants: STEP_TYPE = "CLA Review", STEP_STATUS = "COMPLETED"\n'
        "    steps.csv: read 2, used 1, set aside 0, filtered 1\n"
        '      lookup: STEP_TYPE from "NAME" in types.csv, where "TYPE_ID" = "ID"\n'
        '      keep: rows whose ROLE is "Social Worker"\n'
        "    generated: WORKFLOW_STEP_ID = file name:row number (id: row)\n"
        '    values: STEP_STATUS reads "Done" as "COMPLETED"\n'
        "    extra column: REVIEW_CODE (text)\n"
        "  uasc.csv (looked up for persons): read 1\n"
        "  types.csv (looked up for workflow_steps): read 1\n"
        "  not in this export: allocations.csv, placements.csv, documents.csv, case_notes.csv, "
        "visits.csv, missing_episodes.csv, contacts.csv, cp_plans.csv, cin_plans.csv\n"
        "0 problems found.\n"
    )
    steps = validation_document(export)["mapping"]["workflow_steps"]
    assert steps["sources"]["steps.csv"] == {
        "columns": {},
        "constants": {},
        "lookups": [
            {"file": "types.csv", "on": {"TYPE_ID": "ID"}, "columns": {"STEP_TYPE": "NAME"}}
        ],
        "keep": {"ROLE": ["Social Worker"]},
    }
    assert steps["generated"] == {"WORKFLOW_STEP_ID": "file name:row number (id: row)"}
    assert steps["values"] == {"STEP_STATUS": {"Done": "COMPLETED"}}
    assert steps["extra_columns"] == {"REVIEW_CODE": {"kind": "text", "required": False}}
    tables = validation_document(export)["tables"]["workflow_steps"]
    assert (tables["read"], tables["used"], tables["set_aside"], tables["filtered"]) == (3, 2, 0, 1)
    assert [s["file"] for s in tables["sources"]] == ["reviews.csv", "steps.csv"]


def test_a_rule_not_run_names_the_councils_files(write_export: WriteExport) -> None:
    from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
    from casecheck.engine.run import run_rules

    folder = write_export(
        {
            "casecheck.yaml": "tables:\n  placements:\n    files: [DM_PLACEMENTS*.csv]\n"
            "  documents:\n    file: DM_DOCUMENTS.csv\n",
            "persons.csv": PERSONS,
            "DM_PLACEMENTS_2024.csv": "PLACEMENT_ID,PERSON_ID,START_DATE\nP1,000123,2024-01-01\n",
        }
    )
    config = load_config(folder)
    export = load(folder)
    result = run_rules(export, load_rules(DEFAULT_RULES, config), pd.Timestamp(2025, 1, 1).date())
    reasons = {o.rule.id: o.reason for o in result.outcomes if o.status == "not_run"}
    assert any(r.startswith("no DM_DOCUMENTS.csv") for r in reasons.values()), reasons
    assert export.file_of("placements") == "DM_PLACEMENTS_2024.csv"
    assert "DM_DOCUMENTS.csv" in validation_text(export)


# --- the README's worked example ------------------------------------------------------------

ANYSHIRE = {
    "DM_PERSONS.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER,LS\n"
    "P1,2010-01-01 00:00:00.000,F,C2\n"
    "P2,2012-05-06 00:00:00.000,NULL,v3\n"
    "P3,2014-07-08 00:00:00.000,M,N/A\n",
    "DM_UASC.csv": "PERSON_ID\nP2\n",
    "DM_INVOLVEMENTS.csv": "PERSON_ID,PROFESSIONAL_ID,TEAM_ID,ROLE,START_DATE,END_DATE\n"
    "P1,W1,T1,Allocated Social Worker,2024-01-01,NULL\n"
    "P2,W2,T2,allocated social worker,2024-01-01,\n"
    "P3,W1,T1,Allocated Social Worker,2024-02-01,\n"
    "P3,W9,T2,Team Manager,2024-02-01,\n",
    "DM_TEAMS.csv": "TEAM_ID,TEAM_NAME\nT1,Children in Care 1\nT2,Children in Care 2\n",
    "DM_WORKFLOW_STEPS.csv": "WORKFLOW_STEP_ID,PERSON_ID,WORKFLOW_STEP_TYPE_ID,STEP_STATUS,"
    "COMPLETED_ON\nWS1,P1,10,COMPLETED,2024-03-01\nWS2,P2,11,started,\n",
    "DM_WORKFLOW_STEP_TYPES.csv": "WORKFLOW_STEP_TYPE_ID,DESCRIPTION\n10,Placement Plan\n"
    "11,Risk Assessment\n",
    "cla_reviews.csv": "REVIEW_ID,PERSON_ID,REVIEW_DATE\nR1,P1,15/03/2024\n",
    "DM_VISITS_CLA.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE,VISIT_METHOD\n"
    "V1,P1,2024-03-02,In person\nV2,P2,2024-03-03,Teams call\n",
    "DM_VISITS_CIN.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE,VISIT_METHOD\nV3,P3,2024-03-04,"
    "Face-to-face\n",
}


def _readme_example() -> tuple[str, str]:
    """The README's worked council config and the `casecheck validate` text shown under it."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Any export's shape, without code", 1)[1]
    config = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shown = section.split("```yaml\n", 1)[1].split("```\n", 1)[1].split("```\n", 2)[1]
    return config, shown


def test_the_readme_example_loads_as_the_readme_says(write_export: WriteExport) -> None:
    config, shown = _readme_example()
    folder = write_export({"casecheck.yaml": config, **ANYSHIRE}, folder="anyshire")
    export = load(folder)
    assert validation_text(export).replace(str(folder), "anyshire") == shown
    persons = export.tables["persons"]
    assert persons["UASC"].tolist() == [False, True, False]
    assert persons["LEGAL_STATUS"].tolist()[:2] == ["C2", "V3"]
    assert persons["GENDER"].isna().tolist() == [False, True, False]
    allocations = export.tables["allocations"]
    assert allocations["TEAM_NAME"].tolist() == [
        "Children in Care 1",
        "Children in Care 2",
        "Children in Care 1",
    ]
    assert allocations["ALLOCATION_ID"].tolist()[0] == "DM_INVOLVEMENTS.csv:2"
    steps = export.tables["workflow_steps"]
    assert steps["STEP_TYPE"].tolist() == ["Placement Plan", "Risk Assessment", "CLA Review"]
    assert steps["STEP_STATUS"].tolist() == ["COMPLETED", "STARTED", "COMPLETED"]
    visits = export.tables["visits"]
    assert visits["VISIT_METHOD"].tolist() == ["FACE TO FACE", "FACE TO FACE", "VIDEO"]


def test_an_extra_column_read_from_a_renamed_column(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          placements:
            columns: {PLACEMENT_TYPE: PLACE}
            extra_columns:
              PLACE_CODE: {kind: text, column: place}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        'casecheck.yaml, line 5: at tables > placements > extra_columns > PLACE_CODE: "place" '
        "is already the column read as PLACEMENT_TYPE. A column can be read as one column only: "
        "correct one of them."
    )


# --- properties -----------------------------------------------------------------------------

ROLES = ["Allocated Social Worker", "allocated-social_worker", "Team Manager", "", " ", "Other"]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(ROLES), st.sampled_from(["2024-01-01", "bad", ""])),
        max_size=12,
    ),
    files=st.integers(min_value=1, max_value=3),
)
def test_every_row_is_used_set_aside_or_filtered(rows: list[tuple[str, str]], files: int) -> None:
    """read = used + set aside + filtered, per file and per table, whatever the rows hold."""
    header = "PERSON_ID,WORKER_ID,TEAM_NAME,START_DATE,ROLE\n"
    written = {f"inv_{i}.csv": header for i in range(files)}
    for n, (role, start) in enumerate(rows):
        name = f"inv_{n % files}.csv"
        written[name] += f"000123,W{n},Team,{start},{role}\n" if role != " " else ",,,,\n"
    config = yaml(
        """
        tables:
          allocations:
            files: [inv_*.csv]
            id: row
            keep: {ROLE: [Allocated Social Worker]}
        """
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in {"casecheck.yaml": config, "persons.csv": PERSONS, **written}.items():
            (folder / name).write_text(text, encoding="utf-8")
        export = load(folder)
    count = export.counts["allocations"]
    kept = [start for role, start in rows if role in ROLES[:2]]
    assert count.read == len(rows)
    assert count.read == count.used + count.set_aside + count.filtered
    assert count.filtered == sum(1 for role, _ in rows if role not in (*ROLES[:2], " "))
    assert count.used == sum(1 for start in kept if start == "2024-01-01")
    for source in export.sources["allocations"]:
        c = source.count
        assert c.read == c.used + c.set_aside + c.filtered
    assert not export.problems["message"].str.contains("Team Manager").any()


def test_a_date_constant_in_the_columns_own_format(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          visits:
            date_formats: {ACTUAL_DATE: "%d.%m.%Y"}
            constants: {ACTUAL_DATE: "01.02.2024"}
          contacts:
            constants: {RECEIVED_ON: "01.02.2024"}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 6: at tables > contacts > constants > RECEIVED_ON: the constant "
        '"01.02.2024" is not a date (expected YYYY-MM-DD or DD/MM/YYYY, optionally followed by '
        "HH:MM or HH:MM:SS; slash dates are day-first). Correct the value."
    )


def test_a_value_map_naming_one_value_twice(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          visits:
            values:
              VISIT_METHOD: {In person: Face to face, in-person: Video}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 4: at tables > visits > values > VISIT_METHOD > in-person: "
        '"in-person" is "In person" once case, spaces, hyphens and underscores are ignored. '
        "Keep one of them."
    )


def test_a_membership_key_of_two_pairs(write_export: WriteExport) -> None:
    text = yaml(
        """
        tables:
          persons:
            flags:
              UASC:
                present_in: uasc.csv
                key: {PERSON_ID: CHILD, DATE_OF_BIRTH: DOB}
        """
    )
    folder = write_export({"casecheck.yaml": text})
    assert config_error(folder) == (
        "casecheck.yaml, line 6: at tables > persons > flags > UASC > key: key names one column "
        "of this table and one of the other file. Write key: {this column: that column}, or "
        "key: COLUMN when both call it the same."
    )
