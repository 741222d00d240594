"""casecheck init: a starter casecheck.yaml from the headers, never over an existing file."""

from __future__ import annotations

from pathlib import Path

from conftest import run

from casecheck.export.config import load_config
from casecheck.export.starter import fold, starter_config


def _export(folder: Path) -> Path:
    folder.mkdir()
    (folder / "DM_PERSONS.csv").write_text(
        "Person Id,DATE_OF_BIRTH,GENDER,Ethnic Origin\nP1,2012-03-04,F,WBRI\n", "utf-8"
    )
    (folder / "DM_PLACEMENTS.csv").write_text(
        "PLACEMENT_ID,PERSON_ID,PLACEMENT_START,END_DATE,PLACEMENT_TYPE\nPL1,P1,2025-01-06,,U4\n",
        "utf-8",
    )
    (folder / "DM_DOCS.csv").write_text(
        "DOCUMENT_ID,PERSON_ID,CATEGORY,TITLE,UPLOADED_ON\n"
        "D1,P1,Placement Plan,Secret title about the child,2025-01-07\n"
        "D2,P1,Chronology,Another private title,2025-02-01\n"
        "D3,P1,Placement Plan,More words,2025-03-01\n",
        "utf-8",
    )
    (folder / "notes.txt").write_text("not a table", "utf-8")
    return folder


EXPECTED = """\
# casecheck.yaml: written by `casecheck init` from the CSV headers in this folder.
# Check every line, fill in the commented ones you need, then run `casecheck validate`.
# council: Anyshire County Council
# export_date: 2026-10-30      # the day the export was taken (the default --as-of)
tables:
  persons:
    file: DM_PERSONS.csv
    columns:                 # contract name: the header in the file
      PERSON_ID: "Person Id"
      # ETHNICITY:      # optional
      # AGE_ESTIMATED:  # optional
      # UASC:           # optional
    # headers not matched to a column: Ethnic Origin
  # allocations:    # no file found for this table
  #   file: allocations.csv
  placements:
    file: DM_PLACEMENTS.csv
    # columns:               # contract name: the header in the file
      # START_DATE:                   # required
      # REASON_FOR_PLACEMENT_CHANGE:  # optional
    # headers not matched to a column: PLACEMENT_START
  # workflow_steps:    # no file found for this table
  #   file: workflow_steps.csv
  documents:
    file: DM_DOCS.csv
    # columns:               # contract name: the header in the file
      # SUB_CATEGORY:   # optional
      # DOCUMENT_DATE:  # optional
      # UPLOADED_BY:    # optional
  # case_notes:    # no file found for this table
  #   file: case_notes.csv
  # visits:    # no file found for this table
  #   file: visits.csv
  # missing_episodes:    # no file found for this table
  #   file: missing_episodes.csv
  # contacts:    # no file found for this table
  #   file: contacts.csv
  # cp_plans:    # no file found for this table
  #   file: cp_plans.csv
  # cin_plans:    # no file found for this table
  #   file: cin_plans.csv

# Which of the export's labels count as which evidence. The shipped kinds are:
# supervision, placement_plan, risk_assessment, age_assessment, missing_plan,
# management_oversight, chronology, genogram, information_sharing_agreement, pathway_plan,
# cla_review, child_and_family_assessment, strategy_discussion, section_47_enquiry,
# initial_cp_conference, cp_review_conference, cin_plan_review, care_plan,
# initial_health_assessment, review_health_assessment, personal_education_plan, needs_assessment,
# case_summary.
# Each already knows some common names (casecheck/data/evidence.yaml); add yours:
# Document categories in DM_DOCS.csv (CATEGORY), with how many rows have each:
#   "Placement Plan": 2
#   "Chronology": 1
# (map them below as document_categories: [...] under an evidence kind)
# evidence:
#   supervision:
#     note_types: ["Supervision Record"]
#   placement_plan:
#     step_types: ["CLA Placement Plan"]
"""


def test_fold_ignores_case_spaces_hyphens_and_underscores() -> None:
    assert fold("Person Id") == fold("PERSON_ID") == fold("person-id") == "personid"


def test_the_starter_matches_files_and_columns_and_lists_label_values(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    text = starter_config(folder)
    assert text == EXPECTED
    assert "title" not in text.casefold().replace("(title", "")  # free text is never listed
    assert "Secret" not in text and "private" not in text


def test_init_writes_it_and_the_result_is_a_valid_config(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    done = run("init", folder)
    assert done.code == 0, done.err
    target = folder / "casecheck.yaml"
    assert target.read_text("utf-8") == EXPECTED
    assert done.err == f"Wrote {target}: check it, then run casecheck validate {folder}\n"
    config = load_config(folder)
    assert config.tables["persons"].columns == {"PERSON_ID": "Person Id"}
    assert config.tables["documents"].file == "DM_DOCS.csv"


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    folder = _export(tmp_path / "export")
    (folder / "casecheck.yaml").write_text("council: Mine\n", "utf-8")
    refused = run("init", folder)
    assert refused.code == 2
    assert refused.err == (
        f"error: {folder / 'casecheck.yaml'}: already exists, and casecheck init never "
        "overwrites a file. Move it aside, or give --output another path.\n"
    )
    assert (folder / "casecheck.yaml").read_text("utf-8") == "council: Mine\n"
    other = tmp_path / "starter.yaml"
    assert run("init", folder, "--output", other).code == 0
    assert other.read_text("utf-8") == EXPECTED


def test_a_folder_in_a_presets_shape_is_told_its_preset(tmp_path: Path) -> None:
    folder = tmp_path / "903"
    folder.mkdir()
    (folder / "header.csv").write_text("CHILD,SEX,DOB\n1,1,01/02/2010\n", "utf-8")
    (folder / "episodes.csv").write_text("CHILD,DECOM,PLACE\n1,01/02/2020,U4\n", "utf-8")
    text = starter_config(folder)
    assert text.endswith(
        "# These files look like the DfE SSDA903 return (children looked after): the preset "
        "describes\n# them, and anything below overrides it (see the README).\n"
        "preset: ssda903\n"
    )
    (folder / "casecheck.yaml").write_text(text, "utf-8")
    assert load_config(folder).preset == "ssda903"


def test_a_folder_without_csv_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = run("init", empty)
    assert failed.code == 2
    assert failed.err == (
        f"error: {empty}: holds no CSV files. Give the folder that holds the export's CSV files.\n"
    )
