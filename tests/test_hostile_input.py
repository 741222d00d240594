"""Hostile or broken input files are refused with a message and exit 2: never a hang or a crash.

Issue 12, the input half: YAML alias bombs and deep nesting, files that are pipes, folders or
broken links, huge cells and lines, date formats pandas cannot use, and --previous documents
that are not results files.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import PERSONS, VALID_ROWS, csv_text, load, run

from casecheck.engine.rulefiles import load_rules
from casecheck.engine.run import run_rules
from casecheck.errors import ConfigError, ExportError
from casecheck.export.config import load_config
from casecheck.export.reading import CELL_LIMIT, LINE_LIMIT, parse_csv_bytes
from casecheck.export.schema import TABLES
from casecheck.yamlfile import YAML_DEPTH_LIMIT, YAML_NODE_LIMIT, YAML_SIZE_LIMIT

RULES = Path(__file__).resolve().parents[1] / "rules"


def export_with(tmp_path: Path, config: str | None = None) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "persons.csv").write_text(PERSONS)
    if config is not None:
        (folder / "casecheck.yaml").write_text(config)
    return folder


BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
council: *i
"""


# --- YAML ------------------------------------------------------------------------------------
def test_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    folder = export_with(tmp_path, BOMB)
    began = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert time.perf_counter() - began < 2
    assert str(caught.value) == (
        f"{folder / 'casecheck.yaml'}, line 6: expands to more than "
        f"{YAML_NODE_LIMIT:,} values once its aliases (*name) are followed. "
        "Write the settings out without aliases that repeat one another."
    )


def test_yaml_alias_bomb_in_a_rule_file_exits_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "cla-visits.yaml").write_text(BOMB)
    result = run("rules", "list", "--rules", rules)
    assert result.code == 2
    assert result.err.startswith(f"error: {rules / 'cla-visits.yaml'}, line 6: expands to")


def test_yaml_recursive_anchor_is_refused(tmp_path: Path) -> None:
    folder = export_with(tmp_path, "council: &x [1, *x]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value) == (
        f"{folder / 'casecheck.yaml'}, line 1: has an alias (*name) inside the value its "
        "anchor (&name) names, so the value contains itself. Remove the alias, or write the "
        "value out."
    )


@pytest.mark.parametrize("depth", [YAML_DEPTH_LIMIT + 1, 100_000])
def test_yaml_deep_nesting_is_refused_without_recursion_error(tmp_path: Path, depth: int) -> None:
    folder = export_with(tmp_path, "council: " + "[" * depth + "]" * depth + "\n")
    result = run("validate", folder)
    assert result.code == 2
    assert result.err == (
        f"error: {folder / 'casecheck.yaml'}, line 1: nests more than {YAML_DEPTH_LIMIT} "
        "levels deep. Write the settings out with less nesting.\n"
    )


def test_yaml_nesting_deep_through_aliases_is_refused(tmp_path: Path) -> None:
    levels = ["l0: &l0 [1]"] + [f"l{i}: &l{i} [*l{i - 1}]" for i in range(1, 60)]
    folder = export_with(tmp_path, "\n".join(levels) + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert "nests more than 50 levels deep once its aliases (*name) are followed" in str(
        caught.value
    )


def test_yaml_within_the_limits_with_aliases_is_read(tmp_path: Path) -> None:
    text = 'names: &n ["Supervision Record"]\nevidence:\n  supervision: {note_types: *n}\n'
    folder = export_with(tmp_path, "")
    config = tmp_path / "c.yaml"
    config.write_text(text.replace("names: &n", "council: Anyshire\nx: &n"))
    with pytest.raises(ConfigError, match='unknown key "x"'):
        load_config(folder, config)  # aliases are read; the unknown key is still reported


def test_yaml_file_too_big_is_refused(tmp_path: Path) -> None:
    folder = export_with(tmp_path, "council: x\n" + "#" * YAML_SIZE_LIMIT + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert str(caught.value) == (
        f"{folder / 'casecheck.yaml'}: is 1 MB, more than the 1 MB casecheck reads from "
        "such a file. Check that it is the right file."
    )


@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling", "loop"])
def test_config_that_is_not_a_file_exits_2_without_blocking(tmp_path: Path, kind: str) -> None:
    folder = export_with(tmp_path)
    path = folder / "casecheck.yaml"
    what = make_special(path, kind)
    result = run("validate", folder)
    assert result.code == 2
    assert result.err.startswith(f"error: {path}: {what}")


@pytest.mark.parametrize("kind", ["fifo", "dangling"])
def test_rule_file_that_is_not_a_file_exits_2(tmp_path: Path, kind: str) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "zz-extra.yaml"
    what = make_special(path, kind)
    result = run("rules", "list", "--rules", rules)
    assert result.code == 2
    assert result.err.startswith(f"error: {path}: {what}")


def make_special(path: Path, kind: str) -> str:
    """Put a named pipe, folder, dangling or looping link at `path`: what the error says."""
    if kind == "fifo":
        os.mkfifo(path)
        return "is a named pipe, not a file. Replace it with the file."
    if kind == "folder":
        path.mkdir()
        return "is a folder, not a file. Give the path of the file."
    if kind == "dangling":
        path.symlink_to(path.parent / "nowhere.csv")
        return "is a link to a file that does not exist. Point the link at the file."
    path.symlink_to(path)
    return "is a link that loops back on itself. Replace it with the file."


# --- export files ----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "folder", "dangling", "loop"])
def test_table_file_that_is_not_a_file_stops_the_run(tmp_path: Path, kind: str) -> None:
    folder = export_with(tmp_path)
    what = make_special(folder / "visits.csv", kind)
    result = run("validate", folder)
    assert result.code == 2
    assert result.err == f"error: visits.csv: {what}\n"


def test_persons_file_that_is_a_pipe_stops_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    os.mkfifo(folder / "persons.csv")
    result = run("validate", folder)
    assert (result.code, result.err) == (
        2,
        "error: persons.csv: is a named pipe, not a file. Replace it with the file.\n",
    )


LONG_FIX = (
    "Check that the file is the export casecheck expects (a long value is often a quote left "
    "open, or a whole file pasted into one cell); shorten the value in Mosaic or in the export."
)


def test_huge_quoted_cell_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    folder = export_with(tmp_path)
    cell = '"' + "x\n" * (CELL_LIMIT // 2 + 1) + '"'
    (folder / "visits.csv").write_text(
        "VISIT_ID,PERSON_ID,ACTUAL_DATE,VISIT_TYPE\n"
        'V1,000123,2024-01-01,"CLA, ""so"""\n'
        f"V2,000123,2024-01-02,{cell}\n"
    )
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "visits.csv, row 3, VISIT_TYPE: has a quoted value of 1 MB, more than the 1 MB "
        f"casecheck reads in one cell. {LONG_FIX}"
    )


def test_huge_quoted_cell_split_by_escaped_quotes_is_one_value(tmp_path: Path) -> None:
    half = "y" * (CELL_LIMIT // 2 + 10)
    data = f'A,B\n1,"{half}""{half}"\n'.encode()
    with pytest.raises(ExportError, match=r"^t.csv, row 2, B: has a quoted value of 1 MB"):
        parse_csv_bytes(data, "t.csv")


def test_huge_unquoted_cell_is_refused(tmp_path: Path) -> None:
    data = ("A,B\n1," + "z" * (CELL_LIMIT + 1) + "\n").encode()
    with pytest.raises(ExportError) as caught:
        parse_csv_bytes(data, "t.csv")
    assert str(caught.value) == (
        f"t.csv, row 2, B: has a value of {CELL_LIMIT + 1:,} characters, more than the 1 MB "
        f"casecheck reads in one cell. {LONG_FIX}"
    )


def test_very_long_line_is_refused(tmp_path: Path) -> None:
    data = ("A,B\n1,2\n" + "1," * (LINE_LIMIT // 2 + 1) + "\n").encode()
    with pytest.raises(ExportError) as caught:
        parse_csv_bytes(data, "t.csv")
    assert str(caught.value) == (
        f"t.csv, line 3: has a line longer than 8 MB, the most casecheck reads in one line. "
        f"{LONG_FIX}"
    )


def test_cell_just_under_the_limit_is_read() -> None:
    value = "v" * (CELL_LIMIT - 10)
    frame, _ = parse_csv_bytes(f'A,B\n1,"{value}"\n2,{value}\n'.encode(), "t.csv")
    assert frame["B"].tolist() == [value, value]


# --- --previous ------------------------------------------------------------------------------
FIX = "Give --previous the JSON file an earlier `casecheck check --format json` wrote."


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (
            "[" * 100_000 + "]" * 100_000,
            "is not a JSON results file (its values nest too deeply to read)",
        ),
        (
            "[1, 2]",
            "is not a results file (it holds a JSON list, not an object with "
            "schema_version, as_of and exceptions)",
        ),
        (
            '"text"',
            "is not a results file (it holds a JSON string, not an object with "
            "schema_version, as_of and exceptions)",
        ),
        (
            "null",
            "is not a results file (it holds a JSON null, not an object with "
            "schema_version, as_of and exceptions)",
        ),
        (
            '{"schema_version": 1, "as_of": "2026-01-01", "exceptions": {"a": 1}}',
            "is not a results file (at exceptions: Input should be a valid list)",
        ),
        (
            '{"schema_version": [], "as_of": "2026-01-01", "exceptions": []}',
            "is not a results file (at schema_version: Input should be a valid integer)",
        ),
    ],
)
def test_previous_that_is_not_a_results_file_exits_2(tmp_path: Path, text: str, what: str) -> None:
    from casecheck.errors import CasecheckError
    from casecheck.report.compare import read_previous

    path = tmp_path / "last.json"
    path.write_text(text)
    with pytest.raises(CasecheckError) as caught:
        read_previous(path)
    assert str(caught.value) == f"{path}: {what}. {FIX}"


def test_previous_that_is_a_pipe_exits_2(tmp_path: Path) -> None:
    folder = export_with(tmp_path)
    path = tmp_path / "last.json"
    os.mkfifo(path)
    result = run(
        "check",
        folder,
        "--as-of",
        "2026-01-01",
        "--format",
        "json",
        "--output",
        tmp_path / "o.json",
        "--previous",
        path,
    )
    assert result.code == 2
    assert result.err == f"error: {path}: is a named pipe, not a file. Replace it with the file.\n"


def test_previous_broken_json_names_the_line(tmp_path: Path) -> None:
    from casecheck.errors import CasecheckError
    from casecheck.report.compare import read_previous

    path = tmp_path / "last.json"
    path.write_text('{\n"a": 1,\n}')
    with pytest.raises(CasecheckError) as caught:
        read_previous(path)
    assert str(caught.value) == (
        f"{path}, line 3: is not a JSON results file (Expecting property name enclosed in "
        f"double quotes). {FIX}"
    )


# --- dates: whatever the loader accepts, the engine can use -----------------------------------
@pytest.mark.parametrize(
    "fmt", ["%Y %U", "%Y-%m-%d %W", "%G-%V-%u", "%Y-%m-%d %G", "%j", "%d/%m/%Y %d", "%Y-%m-%d %z"]
)
def test_date_format_pandas_cannot_use_is_refused_when_the_config_is_read(
    tmp_path: Path, fmt: str
) -> None:
    text = f'tables:\n  visits:\n    date_formats:\n      ACTUAL_DATE: "{fmt}"\n'
    folder = export_with(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    assert caught.value.where == f"{folder / 'casecheck.yaml'}, line 4"
    assert caught.value.what.startswith(
        f'at tables > visits > date_formats > ACTUAL_DATE: the date format "{fmt}" '
    )


def test_date_format_with_day_of_year_and_year_is_accepted(tmp_path: Path) -> None:
    text = 'tables:\n  visits:\n    date_formats:\n      ACTUAL_DATE: "%Y/%j"\n'
    folder = export_with(tmp_path, text)
    (folder / "visits.csv").write_text("VISIT_ID,PERSON_ID,ACTUAL_DATE\nV1,000123,2024/060\n")
    export = load(folder)
    assert export.tables["visits"]["ACTUAL_DATE"].tolist() == [pd.Timestamp(2024, 2, 29)]


def _date_rows(table: str, value: str) -> dict[str, str]:
    """A valid row of `table` with every date column set to `value` and its own id."""
    row = dict(VALID_ROWS[table])
    declared = TABLES[table]
    for column in declared.date_columns:
        row[column] = value
    if declared.key and declared.key != "PERSON_ID":
        row[declared.key] = f"{row[declared.key]}-{value}"
    return row


@pytest.mark.parametrize("table", list(TABLES))
def test_every_accepted_date_is_usable_by_the_engine(tmp_path: Path, table: str) -> None:
    """Dates at the edges of the accepted years load; dates beyond them are input problems;
    and no rule errors on what was accepted."""
    folder = tmp_path / "export"
    folder.mkdir()
    edges, beyond = (
        ["1900-01-01", "2089-12-31"],
        ["1899-12-31", "1700-06-01", "2090-01-01", "2100-01-01", "2261-01-01"],
    )
    if table == "persons":
        rows = [
            {**_date_rows(table, v), "PERSON_ID": f"C{i}"} for i, v in enumerate(edges + beyond)
        ]
    else:
        (folder / "persons.csv").write_text(csv_text("persons"))
        rows = [_date_rows(table, v) for v in edges + beyond]
    (folder / TABLES[table].file).write_text(csv_text(table, *rows))
    export = load(folder)
    date_columns = TABLES[table].date_columns
    out_of_range = export.problems[export.problems["message"].str.contains("is outside the dates")]
    assert sorted(set(out_of_range["column"])) == sorted(date_columns)
    assert set(out_of_range["row"]) == {4, 5, 6, 7, 8}
    assert (
        out_of_range["message"]
        .str.endswith("is outside the dates casecheck can work with (years 1900 to 2089)")
        .all()
    )
    rules = load_rules(RULES, export.config)
    for as_of in (dt.date(1900, 1, 1), dt.date(2026, 1, 1), dt.date(2089, 12, 31)):
        result = run_rules(export, rules, as_of)
        assert [(o.rule.id, o.reason) for o in result.outcomes if o.status == "errored"] == []


def test_yaml_control_character_names_the_line(tmp_path: Path) -> None:
    folder = export_with(tmp_path, "council: Anyshire\nexport_date: \x01\n")
    result = run("validate", folder)
    assert (result.code, result.err) == (
        2,
        f"error: {folder / 'casecheck.yaml'}, line 2: has a character YAML does not allow "
        "(U+0001). Remove it; control characters cannot be written in a YAML file.\n",
    )
