"""Loading an export: types, date styles, every kind of input problem, counts, config renames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import PERSONS, VALID_ROWS, WriteExport, csv_text, lines, load

from casecheck.errors import CasecheckError, ExportError
from casecheck.export.config import CouncilConfig
from casecheck.export.load import load_export
from casecheck.export.schema import TABLES, Kind
from casecheck.report.validation import validation_document, validation_text

DATE_FIX = "Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD"
NOT_A_DATE = (
    "is not a date (expected YYYY-MM-DD or DD/MM/YYYY, optionally followed by HH:MM or "
    "HH:MM:SS; slash dates are day-first)"
)
ROW_ASIDE = "until then the row is set aside."
CELL_BLANK = "until then the cell is treated as blank."


# --- types ---------------------------------------------------------------------------------


def test_every_table_loads_with_the_contract_types(write_export: WriteExport) -> None:
    folder = write_export({TABLES[t].file: csv_text(t) for t in TABLES})
    export = load(folder)
    assert lines(export) == []
    assert set(export.tables) == set(TABLES)
    for name, table in TABLES.items():
        frame = export.tables[name]
        assert export.counts[name].read == export.counts[name].used == 1, name
        assert list(frame.columns) == [c.name for c in table.columns]
        assert list(frame.index) == [2]
        for column in table.columns:
            series = frame[column.name]
            where = f"{name}.{column.name}"
            if column.kind is Kind.DATE:
                assert series.dtype == "datetime64[ns]", where
            elif column.kind is Kind.FLAG:
                assert series.dtype == "boolean", where
            else:
                assert pd.api.types.is_string_dtype(series.dtype), where
                value = series.iloc[0]
                assert pd.isna(value) or isinstance(value, str), where


def test_values_are_parsed(write_export: WriteExport) -> None:
    folder = write_export({TABLES[t].file: csv_text(t) for t in TABLES})
    tables = load(folder).tables
    person = tables["persons"].iloc[0]
    assert person["PERSON_ID"] == "000123"
    assert person["DATE_OF_BIRTH"] == pd.Timestamp(2010, 1, 5)
    assert not person["AGE_ESTIMATED"]
    assert person["UASC"]
    visit = tables["visits"].iloc[0]
    assert (visit["CHILD_SEEN"], visit["SEEN_ALONE"]) == (True, False)
    assert visit["VISIT_METHOD"] == "FACE TO FACE"
    step = tables["workflow_steps"].iloc[0]
    assert step["COMPLETED_ON"] == pd.Timestamp(2024, 2, 3, 10, 15)
    assert step["NEXT_REVIEW_DATE"] == pd.Timestamp(2024, 8, 1)
    assert pd.isna(tables["documents"].iloc[0]["SUB_CATEGORY"])  # blank text is missing
    assert pd.isna(tables["allocations"].iloc[0]["END_DATE"])  # blank date is NaT


@pytest.mark.parametrize("value", ["000123", "0", "00", "1.50", "1e3", "0x1F", "-0", "+44"])
def test_ids_stay_as_written(write_export: WriteExport, value: str) -> None:
    folder = write_export(
        {"persons.csv": csv_text("persons", {"PERSON_ID": value})}
        | {"visits.csv": csv_text("visits", {"PERSON_ID": value, "WORKER_ID": value})}
    )
    export = load(folder)
    assert lines(export) == []
    assert export.tables["persons"]["PERSON_ID"].tolist() == [value]
    assert export.tables["visits"]["WORKER_ID"].tolist() == [value]


def test_cells_are_trimmed(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER\n 000123 , 2010-01-05 , F\n"}
    )
    person = load(folder).tables["persons"].iloc[0]
    assert (person["PERSON_ID"], person["GENDER"]) == ("000123", "F")
    assert person["DATE_OF_BIRTH"] == pd.Timestamp(2010, 1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", pd.Timestamp(2024, 3, 5)),
        ("05/03/2024", pd.Timestamp(2024, 3, 5)),  # slash dates are day-first
        ("5/3/2024", pd.Timestamp(2024, 3, 5)),
        ("2024-3-5", pd.Timestamp(2024, 3, 5)),
        ("2024-03-05 14:30", pd.Timestamp(2024, 3, 5, 14, 30)),
        ("2024-03-05 14:30:15", pd.Timestamp(2024, 3, 5, 14, 30, 15)),
        ("2024-03-05T14:30:15", pd.Timestamp(2024, 3, 5, 14, 30, 15)),
        ("05/03/2024 14:30", pd.Timestamp(2024, 3, 5, 14, 30)),
        ("05/03/2024 09:05:07", pd.Timestamp(2024, 3, 5, 9, 5, 7)),
        ("29/02/2024", pd.Timestamp(2024, 2, 29)),
        ("1900-01-01", pd.Timestamp(1900, 1, 1)),
        ("2089-12-31", pd.Timestamp(2089, 12, 31)),
    ],
)
def test_date_styles(write_export: WriteExport, text: str, expected: pd.Timestamp) -> None:
    folder = write_export({"persons.csv": f"PERSON_ID,DATE_OF_BIRTH\n1,{text}\n"})
    export = load(folder)
    assert lines(export) == []
    assert export.tables["persons"]["DATE_OF_BIRTH"].tolist() == [expected]


def test_date_style_may_differ_between_columns_and_rows(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "placements.csv": """\
                PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE
                P1,000123,2024-01-02,03/04/2024 10:00
                P2,000123,02/05/2024,2024-06-07
                P3,000123,2024-07-01 08:00:00,
            """,
        }
    )
    frame = load(folder).tables["placements"]
    assert frame["START_DATE"].tolist() == [
        pd.Timestamp(2024, 1, 2),
        pd.Timestamp(2024, 5, 2),
        pd.Timestamp(2024, 7, 1, 8),
    ]
    assert frame["END_DATE"].tolist()[:2] == [
        pd.Timestamp(2024, 4, 3, 10),
        pd.Timestamp(2024, 6, 7),
    ]
    assert pd.isna(frame["END_DATE"].iloc[2])


def test_config_date_format(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": """\
                tables:
                  persons:
                    date_formats:
                      DATE_OF_BIRTH: "%d.%m.%Y"
            """,
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH\n1,05.03.2024\n2,2024-03-05\n",
        }
    )
    export = load(folder)
    assert export.tables["persons"]["DATE_OF_BIRTH"].tolist() == [pd.Timestamp(2024, 3, 5)]
    assert lines(export) == [
        'persons.csv, row 3, DATE_OF_BIRTH: "2024-03-05" does not match the date format '
        "%d.%m.%Y set for it. Correct it in Mosaic or in the export, as %d.%m.%Y; " + ROW_ASIDE
    ]


# --- problems, each message whole ----------------------------------------------------------


def test_bad_date(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": "PERSON_ID,DATE_OF_BIRTH\n1,2024/03/05\n2,5 March 2024\n"}
    )
    assert lines(load(folder)) == [
        f'persons.csv, row 2, DATE_OF_BIRTH: "2024/03/05" {NOT_A_DATE}. {DATE_FIX}; {ROW_ASIDE}',
        f'persons.csv, row 3, DATE_OF_BIRTH: "5 March 2024" {NOT_A_DATE}. {DATE_FIX}; {ROW_ASIDE}',
    ]


@pytest.mark.parametrize("text", ["31/02/2025", "2025-02-29", "2024-13-01", "2024-01-05 25:00"])
def test_unreal_date(write_export: WriteExport, text: str) -> None:
    folder = write_export({"persons.csv": f"PERSON_ID,DATE_OF_BIRTH\n1,{text}\n"})
    export = load(folder)
    assert lines(export) == [
        f'persons.csv, row 2, DATE_OF_BIRTH: "{text}" is not a real date. {DATE_FIX}; {ROW_ASIDE}'
    ]
    assert export.counts["persons"].set_aside == 1


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31",
        "31/12/9999",
        "0001-01-01",
        "1600-06-01",
        "1899-12-31",
        "01/01/2090",
        "2261-01-01",
    ],
)
def test_date_outside_the_readable_range(write_export: WriteExport, text: str) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "placements.csv": "PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE\n"
            f"P1,000123,2024-01-01,{text}\n",
        }
    )
    export = load(folder)
    assert lines(export) == [
        f'placements.csv, row 2, END_DATE: "{text}" is outside the dates casecheck can work with '
        f"(years 1900 to 2089). {DATE_FIX}; {CELL_BLANK}"
    ]
    assert export.counts["placements"].used == 1
    assert pd.isna(export.tables["placements"]["END_DATE"].iloc[0])


def test_bad_flag_is_treated_as_blank(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": """\
                PERSON_ID,DATE_OF_BIRTH,AGE_ESTIMATED,UASC
                1,2010-01-01,maybe,yes
                2,2010-01-01,,NO
                3,2010-01-01,TRUE,0
            """
        }
    )
    export = load(folder)
    assert lines(export) == [
        'persons.csv, row 2, AGE_ESTIMATED: "maybe" is not a yes/no flag (expected Y/N, Yes/No, '
        "True/False or 1/0). Use Y or N (or leave it blank when unknown); " + CELL_BLANK
    ]
    frame = export.tables["persons"]
    assert frame["AGE_ESTIMATED"].tolist() == [pd.NA, pd.NA, True]
    assert frame["UASC"].tolist() == [True, False, False]
    assert export.counts["persons"].used == 3


def test_bad_choice(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "workflow_steps.csv": """\
                WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS,RAG_RATING
                WS1,000123,Plan,completed,purple
                WS2,000123,Plan,done,amber
                WS3,000123,Plan, Started ,
            """,
        }
    )
    export = load(folder)
    assert lines(export) == [
        'workflow_steps.csv, row 2, RAG_RATING: "purple" is not one of RED, AMBER, GREEN. '
        "Use one of the listed values; " + CELL_BLANK,
        'workflow_steps.csv, row 3, STEP_STATUS: "done" is not one of INCOMING, STARTED, '
        "COMPLETED, CANCELLED. Use one of the listed values; " + ROW_ASIDE,
    ]
    frame = export.tables["workflow_steps"]
    assert frame["STEP_STATUS"].tolist() == ["COMPLETED", "STARTED"]
    assert frame["RAG_RATING"].isna().tolist() == [True, True]


def test_blank_required_value(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "case_notes.csv": """\
                CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON
                CN1,000123,,2024-01-01,2024-01-02
            """,
        }
    )
    assert lines(load(folder)) == [
        "case_notes.csv, row 2, NOTE_TYPE: is blank, but every case note needs a NOTE_TYPE. "
        "Fill it in Mosaic or in the export; " + ROW_ASIDE
    ]


def test_empty_rows(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": b"PERSON_ID,DATE_OF_BIRTH\r\n1,2010-01-01\r\n"
            b",\r\n\r\n  ,  \r\n2,2010-01-01\r\n"
        }
    )
    export = load(folder)
    empty = "the row is empty. Delete the empty row; until then it is counted as set aside."
    assert lines(export) == [f"persons.csv, row {n}: {empty}" for n in (3, 4, 5)]
    assert export.tables["persons"].index.tolist() == [2, 6]
    assert export.counts["persons"] == type(export.counts["persons"])(read=5, used=2, set_aside=3)


def test_duplicate_id(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH\n000123,2010-01-05\n000123,2011-01-05\n"
            "000124,2012-01-05\n000123,2013-01-05\n"
        }
    )
    export = load(folder)
    assert lines(export) == [
        'persons.csv, row 3, PERSON_ID: "000123" is a duplicate PERSON_ID: row 2 has it too. '
        "Remove the duplicate row, or correct its ID; until then this row is set aside.",
        'persons.csv, row 5, PERSON_ID: "000123" is a duplicate PERSON_ID: row 2 has it too. '
        "Remove the duplicate row, or correct its ID; until then this row is set aside.",
    ]
    assert export.tables["persons"]["DATE_OF_BIRTH"].dt.year.tolist() == [2010, 2012]


def test_duplicate_of_a_row_set_aside_is_still_reported(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,DATE_OF_BIRTH\n7,31/02/2010\n7,2011-01-05\n"})
    export = load(folder)
    assert lines(export) == [
        'persons.csv, row 2, DATE_OF_BIRTH: "31/02/2010" is not a real date. '
        f"{DATE_FIX}; {ROW_ASIDE}",
        'persons.csv, row 3, PERSON_ID: "7" is a duplicate PERSON_ID: row 2 has it too. '
        "Remove the duplicate row, or correct its ID; until then this row is set aside.",
    ]
    assert export.counts["persons"].used == 0


def test_end_before_start(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "placements.csv": """\
                PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE
                P1,000123,05/03/2024,2024-03-04
                P2,000123,05/03/2024,2024-03-05
            """,
        }
    )
    export = load(folder)
    assert lines(export) == [
        'placements.csv, row 2, END_DATE: "2024-03-04" is before START_DATE "05/03/2024". '
        "Correct START_DATE or END_DATE in Mosaic or in the export; " + ROW_ASIDE
    ]
    assert export.tables["placements"]["PLACEMENT_ID"].tolist() == ["P2"]


def test_unknown_person_id(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH\n000123,2010-01-05\n000200,not a date\n",
            "visits.csv": """\
                VISIT_ID,PERSON_ID,ACTUAL_DATE
                V1,123,2024-01-01
                V2,000200,2024-01-01
                V3,000123,2024-01-01
            """,
        }
    )
    export = load(folder)
    fix = "Add the child to persons.csv (or correct the ID, or the child's row there); " + ROW_ASIDE
    assert lines(export) == [
        f'persons.csv, row 3, DATE_OF_BIRTH: "not a date" {NOT_A_DATE}. {DATE_FIX}; {ROW_ASIDE}',
        f'visits.csv, row 2, PERSON_ID: "123" has no usable row in persons.csv. {fix}',
        f'visits.csv, row 3, PERSON_ID: "000200" has no usable row in persons.csv. {fix}',
    ]
    assert export.tables["visits"]["VISIT_ID"].tolist() == ["V3"]


def test_free_text_is_never_echoed(write_export: WriteExport) -> None:
    secret = "SECRET disclosure, do not show"
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "documents.csv": f"""\
                DOCUMENT_ID,PERSON_ID,CATEGORY,TITLE,UPLOADED_ON
                D1,000999,Plan,"{secret}",not a date
                D1,000123,Plan,"{secret}",2024-01-01
                ,,,"{secret}",
            """,
            "placements.csv": f"""\
                PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,REASON_FOR_PLACEMENT_CHANGE
                P1,000123,2024-02-01,2024-01-01,"{secret}"
            """,
        }
    )
    export = load(folder)
    assert len(lines(export)) == 7
    everything = (
        "\n".join(lines(export)) + validation_text(export) + str(validation_document(export))
    )
    assert "SECRET" not in everything
    assert "SECRET" not in export.problems.astype(str).to_string()


def test_values_in_messages_stay_on_one_line(write_export: WriteExport) -> None:
    long = "x" * 100
    folder = write_export(
        {"persons.csv": f'PERSON_ID,DATE_OF_BIRTH\n1,"2024-01-01\nlater"\n2,{long}\n'}
    )
    export = load(folder)
    assert lines(export) == [
        'persons.csv, row 2, DATE_OF_BIRTH: "2024-01-01\\nlater" '
        f"{NOT_A_DATE}. {DATE_FIX}; {ROW_ASIDE}",
        f'persons.csv, row 3, DATE_OF_BIRTH: "{"x" * 57}..." {NOT_A_DATE}. {DATE_FIX}; {ROW_ASIDE}',
    ]
    assert export.problems["value"].tolist() == ["2024-01-01\nlater", long]  # kept whole


def test_problem_records(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": "PERSON_ID,DATE_OF_BIRTH,UASC\n1,2010-01-01,maybe\n,2010-01-01,\n"}
    )
    problems = load(folder).problems
    assert list(problems.columns) == [
        "table",
        "file",
        "row",
        "column",
        "header",
        "value",
        "message",
        "fix",
        "set_aside",
    ]
    records = problems.astype(object).where(problems.notna(), None).to_dict("records")
    assert [(r["row"], r["column"], r["value"], r["set_aside"]) for r in records] == [
        (2, "UASC", "maybe", False),
        (3, "PERSON_ID", None, True),
    ]


def test_problems_are_ordered_by_table_row_then_column(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH,UASC,AGE_ESTIMATED\n1,x,x,x\n,2010-01-01,x,\n",
            "visits.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE\nV1,1,x\n",
        }
    )
    problems = load(folder).problems
    assert list(zip(problems["file"], problems["row"], problems["column"], strict=True)) == [
        ("persons.csv", 2, "DATE_OF_BIRTH"),
        ("persons.csv", 2, "AGE_ESTIMATED"),
        ("persons.csv", 2, "UASC"),
        ("persons.csv", 3, "PERSON_ID"),
        ("persons.csv", 3, "UASC"),
        ("visits.csv", 2, "ACTUAL_DATE"),
    ]


# --- counts --------------------------------------------------------------------------------


def test_counts(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": "PERSON_ID,DATE_OF_BIRTH\n1,2010-01-01\n2,bad\n3,2010-01-01\n"
            "3,2010-01-01\n",
            "visits.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE,CHILD_SEEN\n"
            "V1,1,2024-01-01,maybe\nV2,2,2024-01-01,Y\n",
            "contacts.csv": "CONTACT_ID,PERSON_ID,RECEIVED_ON\n",
        }
    )
    export = load(folder)
    assert {name: vars(count) for name, count in export.counts.items()} == {
        "persons": {"read": 4, "used": 2, "set_aside": 2, "filtered": 0},
        "visits": {"read": 2, "used": 1, "set_aside": 1, "filtered": 0},
        "contacts": {"read": 0, "used": 0, "set_aside": 0, "filtered": 0},
    }
    for name, count in export.counts.items():
        assert len(export.tables[name]) == count.used


def test_header_only_table_has_the_contract_types(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,DATE_OF_BIRTH,UASC"})
    frame = load(folder).tables["persons"]
    assert frame.empty
    assert frame["DATE_OF_BIRTH"].dtype == "datetime64[ns]"
    assert frame["UASC"].dtype == "boolean"
    assert pd.api.types.is_string_dtype(frame["PERSON_ID"].dtype)


# --- what is there and what is not --------------------------------------------------------


def test_absent_optional_table_is_not_an_error(write_export: WriteExport) -> None:
    export = load(write_export({"persons.csv": PERSONS}))
    assert lines(export) == []
    assert list(export.tables) == ["persons"]
    assert not export.has("visits")
    assert validation_document(export)["absent_tables"] == [t for t in TABLES if t != "persons"]


def test_absent_optional_column_is_blank(write_export: WriteExport) -> None:
    export = load(write_export({"persons.csv": PERSONS}))
    assert export.absent_columns["persons"] == ("GENDER", "ETHNICITY", "AGE_ESTIMATED", "UASC")
    frame = export.tables["persons"]
    assert frame["GENDER"].isna().all()
    assert frame["UASC"].dtype == "boolean"


def test_missing_persons_file(write_export: WriteExport) -> None:
    folder = write_export({"visits.csv": csv_text("visits")})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        f"{folder}: has no persons.csv, which every export needs (one row per child). "
        "Add persons.csv, or name the council's file in casecheck.yaml under "
        "tables: > persons: > file:."
    )
    assert caught.value.exit_code == 2


def test_missing_export_folder(tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    with pytest.raises(ExportError) as caught:
        load_export(folder, CouncilConfig())
    assert str(caught.value) == (
        f"{folder}: is not a folder. Give the folder that holds the export's CSV files."
    )


def test_missing_required_column(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "visits.csv": "VISIT_ID,PERSON,ACTUAL_DATE\nV1,000123,2024-01-01\n",
        }
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        'visits.csv: is missing the required column PERSON_ID (columns found: "VISIT_ID", '
        '"PERSON", "ACTUAL_DATE"). Add the column, or if the council calls it something else, '
        "map it in casecheck.yaml under tables: > visits: > columns: > PERSON_ID: <its name>."
    )


def test_missing_required_columns(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,GENDER\n1,F\n"})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv: is missing the required column DATE_OF_BIRTH "
        '(columns found: "PERSON_ID", "GENDER"). '
        "Add the column, or if the council calls it something else, map it in casecheck.yaml "
        "under tables: > persons: > columns: > DATE_OF_BIRTH: <its name>."
    )


def test_a_file_without_a_header_row_is_not_echoed(write_export: WriteExport) -> None:
    """With no column name recognised, the first line is probably a child's details."""
    folder = write_export({"persons.csv": "P1,Jane Smith,2015-01-01\n"})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert "Jane Smith" not in str(caught.value)
    assert str(caught.value) == (
        "persons.csv: is missing the required columns PERSON_ID, DATE_OF_BIRTH "
        "(no column name in the first line is one casecheck knows: is the header row missing?). "
        "Add the column, or if the council calls it something else, map it in casecheck.yaml "
        "under tables: > persons: > columns: > PERSON_ID: <its name>."
    )


def test_missing_renamed_column(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": "tables:\n  persons:\n    columns:\n      PERSON_ID: Child Ref\n",
            "persons.csv": "Child Reference,DATE_OF_BIRTH\n1,2010-01-01\n",
        }
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        'persons.csv: is missing the required column "Child Ref" (for PERSON_ID) (columns found: '
        '"Child Reference", "DATE_OF_BIRTH"). Correct the name given for PERSON_ID in '
        "casecheck.yaml under tables: > persons: > columns:, or add the column."
    )


def test_semicolon_separated_file(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID;DATE_OF_BIRTH\n1;2010-01-01\n"})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv: is missing the required columns PERSON_ID, DATE_OF_BIRTH (no column name "
        "in the first line is one casecheck knows: is the header row missing?); the file seems "
        "to separate values with semicolons, not commas. "
        'Save it as "CSV UTF-8 (Comma delimited)" from Excel, or as UTF-8 from Mosaic, '
        "with commas between values."
    )


def test_two_columns_read_as_one(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,DATE_OF_BIRTH,person_id\n1,2010-01-01,2\n"})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        'persons.csv: columns "PERSON_ID" and "person_id" both read as PERSON_ID. '
        "Remove one of them, or correct the mapping in casecheck.yaml."
    )


def test_row_with_too_many_values(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": 'PERSON_ID,DATE_OF_BIRTH\n1,2010-01-01\n"a\nb",2010-01-01\n'
            "3,2010-01-01,x\n"
        }
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv, row 4: has 3 values where the header has 2 columns. "
        "Quote values that contain commas, or remove the extra separators."
    )


def test_every_row_longer_than_the_header_is_refused(write_export: WriteExport) -> None:
    # pandas would silently read the first values as an index and shift every column.
    folder = write_export(
        {"persons.csv": "PERSON_ID,DATE_OF_BIRTH\n1,2010-01-01,x\n2,2010-01-01,y\n"}
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv, row 2: has 3 values where the header has 2 columns. "
        "Quote values that contain commas, or remove the extra separators."
    )


def test_quote_never_closed(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": 'PERSON_ID,DATE_OF_BIRTH\n1,2010-01-01\n2,"2010-01-01\n3,2010-01-01\n'}
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        'persons.csv, row 3: has a quote (") that is never closed, so the rest of the file reads '
        'as one value. Close the quote, or double each quote inside a quoted value ("").'
    )


def test_stray_quote_inside_a_value_is_text(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER\n1,2010-01-01,5'10\"\n"})
    export = load(folder)
    assert export.tables["persons"]["GENDER"].tolist() == ["5'10\""]


def test_empty_file(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": b""})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == "persons.csv: is empty (no header row). Export the table again."


def test_short_rows_have_blank_cells(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": "PERSON_ID,DATE_OF_BIRTH,GENDER\n1,2010-01-01\n2\n"})
    export = load(folder)
    assert lines(export) == [
        "persons.csv, row 3, DATE_OF_BIRTH: is blank, but every child needs a DATE_OF_BIRTH. "
        "Fill it in Mosaic or in the export; " + ROW_ASIDE
    ]
    assert export.tables["persons"]["GENDER"].isna().all()


def test_quoted_commas_newlines_and_blank_lines_keep_row_numbers(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "persons.csv": (
                "PERSON_ID,DATE_OF_BIRTH,ETHNICITY\n"
                '1,2010-01-01,"White, British"\n'
                "\n"
                '2,2010-01-01,"two\nlines"\n'
                '3,bad,"say ""hi"""\n'
            )
        }
    )
    export = load(folder)
    frame = export.tables["persons"]
    assert frame.index.tolist() == [2, 4]
    assert frame["ETHNICITY"].tolist() == ["White, British", "two\nlines"]
    assert [line.split(":")[0] for line in lines(export)] == [
        "persons.csv, row 3",
        "persons.csv, row 5, DATE_OF_BIRTH",
    ]


# --- config renames, header matching, extra columns ----------------------------------------


def test_config_renames_file_and_columns(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": """\
                tables:
                  persons:
                    file: children.csv
                    columns:
                      PERSON_ID: Child Ref
                      DATE_OF_BIRTH: DOB
            """,
            "children.csv": "child ref ,dob,Gender\n000123,2010-01-05,F\n,2010-01-05,F\n",
            "visits.csv": "VISIT_ID,PERSON_ID,ACTUAL_DATE\nV1,000999,2024-01-01\n",
        }
    )
    export = load(folder)
    assert export.files["persons"] == "children.csv"
    assert export.tables["persons"]["PERSON_ID"].tolist() == ["000123"]
    assert lines(export) == [
        "children.csv, row 3, child ref (PERSON_ID): is blank, but every child needs a "
        "PERSON_ID. Fill it in Mosaic or in the export; " + ROW_ASIDE,
        'visits.csv, row 2, PERSON_ID: "000999" has no usable row in children.csv. Add the '
        "child to children.csv (or correct the ID, or the child's row there); " + ROW_ASIDE,
    ]
    assert "persons.csv" not in validation_text(export)


def test_renamed_column_wins_over_the_contract_name(write_export: WriteExport) -> None:
    folder = write_export(
        {
            "casecheck.yaml": "tables:\n  persons:\n    columns:\n      PERSON_ID: CHILD_ID\n",
            "persons.csv": "PERSON_ID,CHILD_ID,DATE_OF_BIRTH\nmosaic-1,000123,2010-01-05\n",
        }
    )
    frame = load(folder).tables["persons"]
    assert frame["PERSON_ID"].tolist() == ["000123"]
    assert frame["PERSON_ID (not used)"].tolist() == ["mosaic-1"]


def test_headers_match_whatever_their_case_and_spaces(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": " person_id ,Date_Of_Birth,uasc\n1,2010-01-01,y\n"})
    export = load(folder)
    assert lines(export) == []
    assert list(export.tables["persons"].columns[:2]) == ["PERSON_ID", "DATE_OF_BIRTH"]
    assert export.tables["persons"]["UASC"].tolist() == [True]


def test_extra_columns_are_kept(write_export: WriteExport) -> None:
    folder = write_export(
        {"persons.csv": "LOCAL_REF,PERSON_ID,DATE_OF_BIRTH,X,X,\n007,1,2010-01-01,a,b,c\n"}
    )
    export = load(folder)
    frame = export.tables["persons"]
    assert list(frame.columns) == [
        *(c.name for c in TABLES["persons"].columns),
        "LOCAL_REF",
        "X",
        "X.1",
        "Unnamed: 5",
    ]
    assert frame.iloc[0][["LOCAL_REF", "X", "X.1", "Unnamed: 5"]].tolist() == ["007", "a", "b", "c"]
    assert lines(export) == []


def test_errors_are_casecheck_errors() -> None:
    assert issubclass(ExportError, CasecheckError)


def test_valid_rows_cover_the_contract() -> None:
    for name, table in TABLES.items():
        assert list(VALID_ROWS[name]) == [c.name for c in table.columns], name
