"""`casecheck validate`: exit codes, the JSON document, plain text when piped, no tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import PERSONS, WriteExport, load

from casecheck.cli import main
from casecheck.export.schema import TABLES
from casecheck.report.validation import validation_text

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    """Run the command line as the `casecheck` script does: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    code = caught.value.code
    assert isinstance(code, int)
    return code, out, err


BAD = {
    "persons.csv": "PERSON_ID,DATE_OF_BIRTH,UASC\n000123,2010-01-05,maybe\n000124,31/02/2010,\n",
    "documents.csv": (
        "DOCUMENT_ID,PERSON_ID,CATEGORY,TITLE,UPLOADED_ON\nD1,000123,Plan,Private title,bad\n"
    ),
}


def test_clean_export_exits_0(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_export({"persons.csv": PERSONS})
    code, out, err = run(capsys, "validate", folder)
    assert code == 0
    assert err == ""
    assert out == (
        f"Export: {folder}\n"
        "  persons.csv: read 1, used 1, set aside 0\n"
        "  not in this export: "
        + ", ".join(TABLES[t].file for t in TABLES if t != "persons")
        + "\n0 problems found.\n"
    )


def test_problems_exit_1_with_plain_text_when_piped(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_export(BAD)
    code, out, err = run(capsys, "validate", folder)
    assert code == 1
    assert err == ""
    assert out == validation_text(load(folder))
    assert "\x1b[" not in out  # no colour or terminal codes when not a terminal
    assert "  persons.csv: read 2, used 1, set aside 1\n" in out
    assert "3 problems found:\n" in out
    assert "Private title" not in out


def test_text_format_is_the_same_as_auto_when_piped(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_export(BAD)
    assert (
        run(capsys, "validate", folder, "--format", "text")[1] == run(capsys, "validate", folder)[1]
    )


def test_table_on_a_terminal(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    folder = write_export(BAD)
    code, out, _ = run(capsys, "validate", folder)
    assert code == 1
    assert "set aside" in out
    assert "3 problems found:" in out
    assert 'persons.csv, row 2, UASC: "maybe" is not a yes/no flag' in out


def test_json_document(write_export: WriteExport, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_export(BAD)
    code, out, err = run(capsys, "validate", folder, "--format", "json")
    assert (code, err) == (1, "")
    doc = json.loads(out)
    assert set(doc) == {
        "schema_version",
        "export",
        "tables",
        "mapping",
        "lookup_files",
        "absent_tables",
        "problems",
    }
    assert doc["schema_version"] == 1
    assert doc["export"] == str(folder)
    assert doc["tables"]["persons"] == {
        "file": "persons.csv",
        "encoding": "utf-8",
        "read": 2,
        "used": 1,
        "set_aside": 1,
        "filtered": 0,
        "absent_columns": ["GENDER", "ETHNICITY", "AGE_ESTIMATED"],
        "sources": [
            {
                "file": "persons.csv",
                "encoding": "utf-8",
                "read": 2,
                "used": 1,
                "set_aside": 1,
                "filtered": 0,
            }
        ],
    }
    assert doc["mapping"]["persons"] == {
        "sources": {"persons.csv": {"columns": {}, "constants": {}, "lookups": [], "keep": {}}},
        "generated": {},
        "values": {},
        "extra_columns": {},
        "join_consecutive": None,
    }
    assert doc["lookup_files"] == {}
    assert doc["absent_tables"] == [t for t in TABLES if t not in ("persons", "documents")]
    assert doc["problems"][0] == {
        "file": "persons.csv",
        "row": 2,
        "column": "UASC",
        "header": "UASC",
        "value": "maybe",
        "message": '"maybe" is not a yes/no flag (expected Y/N, Yes/No, True/False or 1/0)',
        "fix": "Use Y or N (or leave it blank when unknown); until then the cell is treated as "
        "blank.",
        "row_set_aside": False,
    }
    assert [(p["file"], p["row"], p["column"], p["row_set_aside"]) for p in doc["problems"]] == [
        ("persons.csv", 2, "UASC", False),
        ("persons.csv", 3, "DATE_OF_BIRTH", True),
        ("documents.csv", 2, "UPLOADED_ON", True),
    ]
    assert "Private title" not in out


def test_json_for_a_clean_export(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "validate", write_export({"persons.csv": PERSONS}), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["problems"] == []


def test_output_file(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = write_export(BAD)
    target = tmp_path / "reports" / "validation.json"
    code, out, _ = run(capsys, "validate", folder, "--format", "json", "--output", target)
    assert (code, out) == (1, "")
    assert json.loads(target.read_text(encoding="utf-8"))["tables"]["persons"]["read"] == 2


def test_config_option(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = write_export({"children.csv": PERSONS})
    config = tmp_path / "anytown.yaml"
    config.write_text("tables:\n  persons:\n    file: children.csv\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", folder, "--config", config)
    assert code == 0
    assert "  children.csv (persons): read 1, used 1, set aside 0\n" in out


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"visits.csv": "VISIT_ID\n"},
            "has no persons.csv, which every export needs (one row per child). Add persons.csv, "
            "or name the council's file in casecheck.yaml under tables: > persons: > file:.",
        ),
        (
            {"persons.csv": "PERSON_ID\n1\n"},
            "persons.csv: is missing the required column DATE_OF_BIRTH "
            '(columns found: "PERSON_ID").',
        ),
        (
            {"persons.csv": PERSONS, "casecheck.yaml": "tables:\n  persons:\n    colour: red\n"},
            'casecheck.yaml, line 3: at tables > persons > colour: unknown key "colour"',
        ),
        (
            {"persons.csv": PERSONS, "casecheck.yaml": "tables: [\n"},
            "casecheck.yaml, line 2: is not valid YAML",
        ),
        (
            {"persons.csv": PERSONS.encode("utf-16")},
            'persons.csv: is UTF-16 text (what Excel calls "Unicode Text")',
        ),
    ],
)
def test_unusable_input_exits_2_without_a_traceback(
    write_export: WriteExport,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str | bytes],
    message: str,
) -> None:
    folder = write_export(files)
    code, out, err = run(capsys, "validate", folder)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1  # one line: where, what, how to fix


def test_missing_export_folder_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "nowhere"
    code, _, err = run(capsys, "validate", folder)
    assert code == 2
    assert err == (
        f"error: {folder}: is not a folder. Give the folder that holds the export's CSV files.\n"
    )


def test_missing_config_file_exits_2(
    write_export: WriteExport, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = write_export({"persons.csv": PERSONS})
    config = tmp_path / "missing.yaml"
    code, _, err = run(capsys, "validate", folder, "--config", config)
    assert code == 2
    assert err == f"error: {config}: file not found. Check the path.\n"


def test_bad_option_exits_2(write_export: WriteExport, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_export({"persons.csv": PERSONS})
    code, _, err = run(capsys, "validate", folder, "--format", "xml")
    assert code == 2
    assert "Invalid value for '--format'" in err
    assert "Traceback" not in err
