"""The council config (casecheck.yaml): sources, renames, generated columns, evidence kinds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from casecheck.calendar import YEARS
from casecheck.errors import ConfigError
from casecheck.export.parsing import fold, parse_choices, parse_dates, parse_flags
from casecheck.export.preset import PRESETS, merge, preset, preset_settings
from casecheck.export.schema import PERIODS, TABLES, Column, Kind, Table
from casecheck.files import exists
from casecheck.lazy import np, pd
from casecheck.yamlfile import (
    KeyedProblems,
    Loc,
    YamlDocument,
    load_shipped,
    read_yaml,
    validate,
)

CONFIG_FILE = "casecheck.yaml"
EVIDENCE_SOURCES = ("step_types", "document_categories", "document_sub_categories", "note_types")


ColumnKind = Literal["id", "date", "flag", "choice", "text", "free_text"]


class ExtraColumn(BaseModel):
    """A column the council declares beyond the contract: parsed, validated, usable in rules."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    kind: ColumnKind
    column: str | None = None  # the council's header (default: the name it is declared as)
    choices: list[str] = Field(default_factory=list)  # for kind: choice
    required: bool = False


class Lookup(BaseModel):
    """Columns brought in from another file of the export by key, many-to-one, one level.

    `on` maps a column of this table's source (its header in the file) to the key column of
    the lookup file; `columns` maps a contract or extra column of this table to a column of the
    lookup file. An unmatched or duplicated key is an input problem, never a silent drop.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    file: str  # a file of the export folder, e.g. DM_WORKFLOW_STEP_TYPES.csv
    on: dict[str, str]  # this source's column -> the lookup file's key column
    columns: dict[str, str]  # contract (or extra) column -> the lookup file's column


class Membership(BaseModel):
    """A flag that is true when the row's key appears in another file (UASC: in uasc.csv)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    present_in: str  # a file of the export folder
    key: str | dict[str, str]  # one column named alike in both, or {this column: that column}


class Source(BaseModel):
    """One source file of a table (a table may be read from several), with its own mapping."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    file: str  # a file name, or a glob such as visits_*.csv
    columns: dict[str, str] = Field(default_factory=dict)  # contract name -> council's name
    constants: dict[str, str] = Field(default_factory=dict)  # column -> the value of every row
    lookups: list[Lookup] = Field(default_factory=list)
    keep: dict[str, list[str]] = Field(default_factory=dict)  # only rows with these values


class TableConfig(BaseModel):
    """How one table of the contract appears in this council's export.

    `file` (or `files`, a list of names, globs or sources) says where the table is read from;
    the table-level `columns`, `constants`, `lookups` and `keep` apply to every source, and a
    source's own settings add to them (and win where both name a column).
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    file: str | None = None
    files: list[str | Source] | None = None
    id: Literal["row"] | list[str] | None = None  # a generated row key, for tables with none
    columns: dict[str, str] = Field(default_factory=dict)  # contract name -> council's name
    date_formats: dict[str, str] = Field(default_factory=dict)  # column -> strftime
    constants: dict[str, str] = Field(default_factory=dict)  # column -> the value of every row
    values: dict[str, dict[str, str]] = Field(default_factory=dict)  # column -> {council: ours}
    lookups: list[Lookup] = Field(default_factory=list)
    flags: dict[str, Membership] = Field(default_factory=dict)  # flag column -> membership
    keep: dict[str, list[str]] = Field(default_factory=dict)  # only rows with these values
    extra_columns: dict[str, ExtraColumn] = Field(default_factory=dict)
    # Back-to-back rows of one child with equal values here become one row (903 episodes).
    join_consecutive: list[str] = Field(default_factory=list)


class EvidenceKind(BaseModel):
    """Which step types, document categories and note types count as one kind of evidence."""

    model_config = ConfigDict(extra="forbid")

    replace: bool = False
    step_types: list[str] = Field(default_factory=list)
    document_categories: list[str] = Field(default_factory=list)
    document_sub_categories: list[str] = Field(default_factory=list)  # SUB_CATEGORY names
    note_types: list[str] = Field(default_factory=list)


class CouncilConfig(BaseModel):
    """A council's casecheck.yaml, validated."""

    model_config = ConfigDict(extra="forbid")

    preset: str | None = None  # start from a preset shipped with casecheck (ssda903, ssd)
    council: str | None = None
    export_date: dt.date | None = None
    null_values: list[str] = Field(default_factory=list)  # read as blank, besides ""
    tables: dict[str, TableConfig] = Field(default_factory=dict)
    evidence: dict[str, EvidenceKind] = Field(default_factory=dict)
    closure_days: list[dt.date] = Field(default_factory=list)
    # Two allocations (or placements) at most this many working days apart are one spell with a
    # handover: 1 joins an end on Friday and a start on Monday. 0: only the next calendar day.
    handover_working_days: int = Field(default=1, ge=0, le=20)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    history: Path | None = None  # keep each run here and compare with the last (--history)
    waivers: Path | None = None  # the waivers file (--waivers; default EXPORT_DIR/waivers.yaml)
    waiver_max_months: int = Field(default=6, ge=1, le=24)
    _document: YamlDocument | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Two configs are equal when their settings are, whichever file they were read from."""
        if not isinstance(other, CouncilConfig):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable, like every pydantic model

    @property
    def document(self) -> YamlDocument:
        """The file this config was read from, to name the line of a key in a later error
        (an override of a rule, say); a config built in code stands for casecheck.yaml."""
        return self._document or YamlDocument(path=Path(CONFIG_FILE), data=None, root=None)

    @field_validator("export_date")
    @classmethod
    def _checkable(cls, value: dt.date | None) -> dt.date | None:
        if value is not None:
            problem = as_of_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @model_validator(mode="before")
    @classmethod
    def _over_its_preset(cls, data: Any) -> Any:
        """Settings that name a preset are merged over the preset's own, wherever they come from."""
        if isinstance(data, dict) and isinstance(data.get("preset"), str):
            found = PRESETS.get(data["preset"].strip().casefold())
            if found is not None:
                return merge(preset_settings(found), data) | {"preset": found.name}
        return data

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, name: str | None) -> str | None:
        if name is not None and name not in PRESETS:
            raise ValueError(f'unknown preset "{name}" (the presets are: {", ".join(PRESETS)})')
        return name

    @field_validator("null_values", mode="before")
    @classmethod
    def _null_is_text(cls, values: Any) -> Any:
        """YAML reads NULL (unquoted) as nothing: here it means the text NULL."""
        if isinstance(values, list):
            return [
                "NULL" if v is None else str(v) if isinstance(v, int | float) else v for v in values
            ]
        return values

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableConfig]) -> dict[str, TableConfig]:
        problems = table_config_problems(tables)
        if problems:
            raise KeyedProblems(problems)
        return tables


def as_of_problem(day: dt.date) -> str:
    """Why an export cannot be checked as of `day` ('' when it can): casecheck works with dates
    in YEARS only (the years of the dates it accepts in an export)."""
    first, last = dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31)
    if first <= day <= last:
        return ""
    return (
        f"{day.isoformat()} is outside the dates casecheck can check an export as of, "
        f"{first.isoformat()} to {last.isoformat()} (the years of the dates it works with)"
    )


def _date_format_problem(fmt: str) -> str | None:
    """What is wrong with a strftime date format, or None when it reads dates."""
    if "%" not in fmt:
        return "has no %-codes"
    sample = dt.datetime(2001, 2, 3, 4, 5, 6)
    try:
        written = sample.strftime(fmt)
        dt.datetime.strptime(written, fmt)
        # The loader parses with pandas, which refuses some formats strptime takes (%U, %G).
        read = pd.to_datetime(pd.Series([written]), format=fmt, errors="coerce").iloc[0]
    except re.error:  # strptime's own words: "redefinition of group name 'd' ..."
        return "cannot be used (a %-code appears twice)"
    except ValueError as exc:
        return f"cannot be used ({exc})"
    if pd.isna(read):
        return "cannot read the dates it writes"
    missing = [
        part
        for part, codes in (("year", "Yy"), ("month", "mbBj"), ("day", "dj"))
        if not any(f"%{code}" in fmt for code in codes)
    ]
    if missing:
        return "has no " + " or ".join(missing)
    if read.date() != sample.date():
        return f"reads {written} as {read:%Y-%m-%d}, not as {sample:%Y-%m-%d}"
    return None


def _suggest_format(fmt: str) -> str:
    """ "DD/MM/YYYY" -> "%d/%m/%Y", for the fix of a format written without %-codes."""
    out = fmt.upper().replace("YYYY", "%Y").replace("DD", "%d").replace("MM", "%m", 1)
    out = out.replace("HH", "%H").replace("MM", "%M").replace("SS", "%S")
    return out if _date_format_problem(out) is None else "%d/%m/%Y %H:%M"


Problem = tuple[Loc, str, str]
VALUE_MAP_KINDS = (Kind.CHOICE, Kind.FLAG, Kind.TEXT)


def effective_table(name: str, table: TableConfig) -> Table:
    """The contract's table with the council's extra columns after its own."""
    declared = TABLES[name]
    if not table.extra_columns:
        return declared
    extras = tuple(
        Column(
            name=extra,
            kind=Kind(spec.kind),
            required=spec.required,
            choices=tuple(spec.choices),
        )
        for extra, spec in table.extra_columns.items()
    )
    return declared.model_copy(update={"columns": declared.columns + extras})


def table_config_problems(tables: Mapping[str, TableConfig]) -> list[Problem]:
    """Every unknown table, unknown column and unusable setting, each at its key."""
    problems: list[Problem] = []
    for name, table in tables.items():
        if name not in TABLES:
            problems.append(
                (
                    (name,),
                    f'unknown table "{name}" (the tables are: {", ".join(TABLES)})',
                    "Correct its spelling, or remove it.",
                )
            )
            continue
        problems.extend(_table_problems(name, table))
    return problems


def _not_a_column(name: str, declared: Table, column: str, at: Loc) -> Problem:
    known = ", ".join(c.name for c in declared.columns)
    return (
        at,
        f'"{column}" is not a column of {name} (its columns are: {known})',
        "Correct its spelling, or declare it under extra_columns.",
    )


def _extra_problems(name: str, table: TableConfig) -> list[Problem]:
    contract = {c.name.casefold(): c.name for c in TABLES[name].columns}
    renamed = {council.strip().casefold(): column for column, council in table.columns.items()}
    for part in table.files or []:
        if isinstance(part, Source):
            renamed |= {h.strip().casefold(): c for c, h in part.columns.items()}
    problems: list[Problem] = []
    for extra, spec in table.extra_columns.items():
        at: Loc = ("extra_columns", extra)
        header = (spec.column or extra).strip().casefold()
        if header in renamed and renamed[header] != extra:
            problems.append(
                (
                    at,
                    f'"{spec.column or extra}" is already the column read as {renamed[header]}',
                    "A column can be read as one column only: correct one of them.",
                )
            )
        if extra.casefold() in contract:
            problems.append(
                (
                    at,
                    f"{extra} is a column of the contract's {name} table",
                    f"Give the extra column another name, or map the council's column "
                    f"under columns: > {contract[extra.casefold()]}.",
                )
            )
        if spec.kind == "choice" and not spec.choices:
            problems.append(
                (at, "a choice column needs its choices", "List them under choices: [a, b].")
            )
        if spec.kind != "choice" and spec.choices:
            problems.append(
                (
                    (*at, "choices"),
                    f"choices are for choice columns, and {extra} is a {spec.kind} column",
                    "Remove them, or make it kind: choice.",
                )
            )
    return problems


def _value_problem(
    column: Column, value: str, values: Mapping[str, str], fmt: str | None = None
) -> str | None:
    """What is wrong with `value` as a value of `column` (after the value map), or None."""
    mapped = {fold(k): v for k, v in values.items()}.get(fold(value), value)
    cell = pd.Series([mapped], dtype=str)
    if column.kind is Kind.CHOICE:
        parsed = parse_choices(cell, column.choices)
    elif column.kind is Kind.FLAG:
        parsed = parse_flags(cell)
    elif column.kind is Kind.DATE:
        parsed = parse_dates(cell, fmt)
    else:
        return None
    return str(parsed.why.iloc[0]) if bool(parsed.bad.iloc[0]) else None


def _mapping_problems(
    name: str, table: TableConfig, columns: Mapping[str, Column], at: Loc, part: Source | None
) -> list[Problem]:
    """Problems of the column mapping a table (part None) or one of its sources gives."""
    declared = effective_table(name, table)
    problems: list[Problem] = []
    here = part if part is not None else table
    council_names: dict[str, str] = {}
    for column, council in here.columns.items():
        if column not in columns:
            reversed_ = next((n for n in columns if n.casefold() == council.casefold()), None)
            problems.append(
                (
                    (*at, "columns", column),
                    f'"{column}" is not a column of {name} (its columns are: {", ".join(columns)})',
                    f"The key is the contract's name and the value the council's: "
                    f"write {reversed_}: {column}."
                    if reversed_
                    else "The key is the contract's name (one of those) and the value "
                    "the council's name for it.",
                )
            )
            continue
        earlier = council_names.get(council.strip().casefold())
        if earlier is not None:
            problems.append(
                (
                    (*at, "columns", column),
                    f'"{council}" is already the column read as {earlier}',
                    "A column can be read as one contract column only: correct one of them.",
                )
            )
        council_names.setdefault(council.strip().casefold(), column)
    filled: dict[str, str] = {}  # column -> what fills it (constant, lookup, flag, id)
    filled.update(dict.fromkeys(table.flags, "a membership flag"))
    if table.id is not None and declared.key is not None:
        filled[declared.key] = "id:"
    for column, value in here.constants.items():
        if column not in columns:
            problems.append(_not_a_column(name, declared, column, (*at, "constants", column)))
            continue
        if column in filled:
            problems.append(
                (
                    (*at, "constants", column),
                    f"{column} is filled by {filled[column]} already",
                    "Keep one of them.",
                )
            )
        filled[column] = "a constant"
        fmt = table.date_formats.get(column)
        usable = fmt if fmt is not None and _date_format_problem(fmt) is None else None
        wrong = _value_problem(columns[column], value, table.values.get(column, {}), usable)
        if wrong is not None:
            problems.append(
                (
                    (*at, "constants", column),
                    f'the constant "{value}" {wrong}',
                    "Correct the value.",
                )
            )
    for i, lookup in enumerate(here.lookups):
        for column in lookup.columns:
            key: Loc = (*at, "lookups", i, "columns", column)
            if column not in columns:
                problems.append(_not_a_column(name, declared, column, key))
                continue
            if column in filled:
                problems.append(
                    (key, f"{column} is filled by {filled[column]} already", "Keep one of them.")
                )
            filled[column] = f"the lookup in {lookup.file}"
        if not lookup.on:
            problems.append(
                (
                    (*at, "lookups", i, "on"),
                    "a lookup needs the key it joins on",
                    "Write on: {this file's column: the lookup file's column}.",
                )
            )
        if not lookup.columns:
            problems.append(
                (
                    (*at, "lookups", i, "columns"),
                    "a lookup brings at least one column",
                    "Write columns: {column of this table: the lookup file's column}.",
                )
            )
    for column in here.columns:
        if column in filled:
            problems.append(
                (
                    (*at, "columns", column),
                    f"{column} is filled by {filled[column]}, so it is not read from a column",
                    "Keep one of them.",
                )
            )
    for column, allowed in here.keep.items():
        if not allowed:
            problems.append(
                (
                    (*at, "keep", column),
                    "an empty list would leave out every row",
                    "List the values of the rows to keep.",
                )
            )
    return problems


def _table_problems(name: str, table: TableConfig) -> list[Problem]:
    declared = effective_table(name, table)
    columns = {c.name: c for c in declared.columns}
    problems = [((name, *at), what, fix) for at, what, fix in _extra_problems(name, table)]
    if table.file is not None and table.files is not None:
        problems.append(
            (
                (name, "files"),
                "a table is read from file: or from files:, not both",
                "Move the file: into the files: list.",
            )
        )
    if table.files is not None and not table.files:
        problems.append(
            ((name, "files"), "the list of files is empty", "List the table's files, or remove it.")
        )
    problems.extend(_mapping_problems(name, table, columns, (name,), None))
    for i, part in enumerate(table.files or []):
        if isinstance(part, Source):
            problems.extend(_mapping_problems(name, table, columns, (name, "files", i), part))
    if table.id is not None and name == "persons":
        problems.append(
            (
                (name, "id"),
                "a child's PERSON_ID cannot be generated: the other tables refer to it",
                "Remove id:, and map the council's child ID under columns: > PERSON_ID.",
            )
        )
    elif isinstance(table.id, list):
        if not table.id:
            problems.append(
                (
                    (name, "id"),
                    "an empty list of columns cannot identify a row",
                    "List the columns that together identify a row, or write id: row.",
                )
            )
        elif len(set(table.id)) < len(table.id):
            problems.append(((name, "id"), "a column is listed twice", "List each column once."))
    for column, mapping in table.values.items():
        at: Loc = (name, "values", column)
        if column not in columns:
            problems.append(_not_a_column(name, declared, column, at))
            continue
        kind = columns[column].kind
        if kind not in VALUE_MAP_KINDS:
            problems.append(
                (
                    at,
                    f"{column} is a{'n' if kind is Kind.ID else ''} {kind.value} column; "
                    "value maps are for choice, flag and text columns",
                    "Remove it.",
                )
            )
            continue
        seen: dict[str, str] = {}
        for council, ours in mapping.items():
            if fold(council) in seen:
                problems.append(
                    (
                        (*at, council),
                        f'"{council}" is "{seen[fold(council)]}" once case, spaces, hyphens '
                        "and underscores are ignored",
                        "Keep one of them.",
                    )
                )
            seen.setdefault(fold(council), council)
            wrong = _value_problem(columns[column], ours, {})
            if wrong is not None:
                problems.append(
                    ((*at, council), f'"{ours}" {wrong}', "Map it to one of the listed values.")
                )
    for flag, member in table.flags.items():
        at = (name, "flags", flag)
        if isinstance(member.key, dict) and len(member.key) != 1:
            problems.append(
                (
                    (*at, "key"),
                    "key names one column of this table and one of the other file",
                    "Write key: {this column: that column}, or key: COLUMN when both call it "
                    "the same.",
                )
            )
        if flag not in columns:
            problems.append(_not_a_column(name, declared, flag, at))
        elif columns[flag].kind is not Kind.FLAG:
            problems.append(
                (
                    at,
                    f"{flag} is a {columns[flag].kind.value} column, not a flag",
                    "Membership fills flag columns only (Y when the key is present, else N).",
                )
            )
    problems.extend(_join_problems(name, table))
    dates = ", ".join(c.name for c in declared.columns if c.kind is Kind.DATE)
    for column, fmt in table.date_formats.items():
        at = (name, "date_formats", column)
        if column not in columns or columns[column].kind is not Kind.DATE:
            problems.append(
                (
                    at,
                    f"{column} is not a date column of {name} (its date columns are: {dates})",
                    "Remove it, or correct its spelling.",
                )
            )
            continue
        wrong = _date_format_problem(fmt)
        if wrong is not None:
            problems.append(
                (
                    at,
                    f'the date format "{fmt}" {wrong}',
                    f'Write it with strftime codes, like "{_suggest_format(fmt)}" '
                    "(%d day, %m month, %Y year, %H hour, %M minute, %S second).",
                )
            )
    return problems


def _join_problems(name: str, table: TableConfig) -> list[tuple[Loc, str, str]]:
    """join_consecutive needs a table with a start and an end, and columns it has."""
    if not table.join_consecutive:
        return []
    if name not in PERIODS:
        return [
            (
                (name, "join_consecutive"),
                f"{name} rows have no start and end to join "
                f"(only {', '.join(PERIODS)} can join consecutive rows)",
                "Remove join_consecutive from this table.",
            )
        ]
    known = [c.name for c in TABLES[name].columns] + list(table.extra_columns)
    return [
        (
            (name, "join_consecutive", i),
            f'"{column}" is not a column of {name} (its columns are: {", ".join(known)})',
            "Name contract columns, or columns declared under extra_columns.",
        )
        for i, column in enumerate(table.join_consecutive)
        if column not in known
    ]


@dataclass(frozen=True)
class EvidenceVocabulary:
    """Resolved evidence kinds: for each kind, the lower-cased names that count as it."""

    kinds: Mapping[str, Mapping[str, frozenset[str]]]

    def names(self, kind: str, source: str) -> frozenset[str]:
        return self.kinds.get(kind, {}).get(source, frozenset())


def _normalise(name: str) -> str:
    return " ".join(name.split()).casefold()


def default_evidence() -> dict[str, EvidenceKind]:
    """The evidence kinds shipped with casecheck (casecheck/data/evidence.yaml)."""
    text = resources.files("casecheck").joinpath("data/evidence.yaml").read_text("utf-8")
    raw = load_shipped(text)
    return {kind: EvidenceKind.model_validate(value) for kind, value in raw.items()}


def evidence_vocabulary(config: CouncilConfig) -> EvidenceVocabulary:
    """The shipped kinds with the council's additions and replacements applied."""
    merged: dict[str, dict[str, set[str]]] = {}
    for kind, spec in default_evidence().items():
        merged[kind] = {
            src: {_normalise(n) for n in getattr(spec, src)} for src in EVIDENCE_SOURCES
        }
    for kind, spec in config.evidence.items():
        if spec.replace or kind not in merged:
            merged[kind] = {src: set() for src in EVIDENCE_SOURCES}
        for src in EVIDENCE_SOURCES:
            merged[kind][src] |= {_normalise(n) for n in getattr(spec, src)}
    return EvidenceVocabulary(
        kinds={
            kind: {src: frozenset(names) for src, names in sources.items()}
            for kind, sources in sorted(merged.items())
        }
    )


def normalise_names(values: pd.Series) -> pd.Series:
    """Vectorised twin of `_normalise`: each distinct name is folded once, then spread back.

    Type names repeat (a million case notes have a few dozen note types), so factorising first
    makes this cost one pass over the codes rather than a regex over every cell.
    """
    codes, uniques = pd.factorize(values.fillna(""))
    folded = pd.Series(uniques, dtype=object).astype(str)
    folded = folded.str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()
    out = folded.to_numpy(dtype=object)[codes] if len(uniques) else np.array([], dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def load_config(
    export_dir: Path, config_file: Path | None = None, preset_name: str | None = None
) -> CouncilConfig:
    """Read `config_file`, else `casecheck.yaml` in the export folder, else use the defaults.

    A preset (named in the file as `preset:` or `extends:`, or given as `preset_name`, the
    `--preset` option) is read first and the council's settings are merged over it.
    """
    path = config_file if config_file is not None else export_dir / CONFIG_FILE
    if config_file is None and not exists(path):  # a broken link is an error, not "no config"
        return CouncilConfig() if preset_name is None else preset_config(preset_name)
    doc = read_yaml(path, ConfigError)
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}, line {doc.line_of([])}",
            "must be a set of settings (council:, tables:, evidence:, closure_days:), "
            "not a list or a single value",
            'Write one setting a line, like "council: Anytown".',
        )
    named = _named_preset(doc, data, preset_name)
    if named is None:
        config: CouncilConfig = validate(doc, CouncilConfig, ConfigError, data=data)
        return _read_from(config, doc)
    key, name = named
    if key is None:
        found = preset(name, "--preset")
    else:
        found = preset(name, f"{path}, line {doc.line_of([key])}", f"at {key}: ")
    own = {k: v for k, v in data.items() if k not in ("preset", "extends")}
    config = validate(doc, CouncilConfig, ConfigError, data=own | {"preset": found.name})
    return _read_from(config, doc)


def _read_from(config: CouncilConfig, doc: YamlDocument) -> CouncilConfig:
    """The config as read from `doc`: the folders and files it names are relative to the
    file, and it keeps the file, to name the line of a key in a later error."""
    relative = {
        key: doc.path.parent / value
        for key in ("history", "waivers")
        if (value := getattr(config, key)) is not None and not value.is_absolute()
    }
    if relative:
        config = config.model_copy(update=relative)
    config._document = doc
    return config


def preset_config(name: str) -> CouncilConfig:
    """A preset's config on its own (`--preset NAME` with no council file)."""
    return CouncilConfig.model_validate({"preset": preset(name, "--preset").name})


def _named_preset(
    doc: YamlDocument, data: dict[str, Any], option: str | None
) -> tuple[str | None, str] | None:
    """(the key that names it, or None for --preset; the name), or None when there is none."""
    keys = [k for k in ("preset", "extends") if data.get(k) is not None]
    if len(keys) == 2:
        raise ConfigError(
            f"{doc.path}, line {doc.line_of(['extends'])}",
            "at extends: preset and extends say the same thing",
            "Keep one of them (preset: is the documented way).",
        )
    if not keys:
        return None if option is None else (None, option)
    key = keys[0]
    value = data[key]
    if not isinstance(value, str):
        raise ConfigError(
            f"{doc.path}, line {doc.line_of([key])}",
            f"at {key}: must be the name of a preset (one of: {', '.join(PRESETS)})",
            f'Write it like "{key}: ssda903".',
        )
    if option is not None and option.strip().casefold() != value.strip().casefold():
        raise ConfigError(
            f"{doc.path}, line {doc.line_of([key])}",
            f'at {key}: the config names the preset "{value}" but --preset names "{option}"',
            "Give one of them: remove --preset, or correct the config.",
        )
    return key, value
