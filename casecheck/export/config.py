"""The council config (casecheck.yaml): file names, column renames, date formats, evidence kinds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from casecheck.calendar import YEARS
from casecheck.errors import ConfigError
from casecheck.export.schema import TABLES, Kind
from casecheck.yamlfile import KeyedProblems, Loc, YamlDocument, read_yaml, validate

CONFIG_FILE = "casecheck.yaml"
EVIDENCE_SOURCES = ("step_types", "document_categories", "note_types")


class TableConfig(BaseModel):
    """How one table of the contract appears in this council's export."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)  # contract name -> council's name
    date_formats: dict[str, str] = Field(default_factory=dict)  # contract name -> strftime


class EvidenceKind(BaseModel):
    """Which step types, document categories and note types count as one kind of evidence."""

    model_config = ConfigDict(extra="forbid")

    replace: bool = False
    step_types: list[str] = Field(default_factory=list)
    document_categories: list[str] = Field(default_factory=list)
    note_types: list[str] = Field(default_factory=list)


class CouncilConfig(BaseModel):
    """A council's casecheck.yaml, validated."""

    model_config = ConfigDict(extra="forbid")

    council: str | None = None
    export_date: dt.date | None = None
    tables: dict[str, TableConfig] = Field(default_factory=dict)
    evidence: dict[str, EvidenceKind] = Field(default_factory=dict)
    closure_days: list[dt.date] = Field(default_factory=list)
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)
    history: Path | None = None  # keep each run here and compare with the last (--history)
    waivers: Path | None = None  # the waivers file (--waivers; default EXPORT_DIR/waivers.yaml)
    waiver_max_months: int = Field(default=6, ge=1, le=24)
    _document: YamlDocument | None = PrivateAttr(default=None)

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

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableConfig]) -> dict[str, TableConfig]:
        problems = table_config_problems(tables)
        if problems:
            raise KeyedProblems(problems)
        return tables


def as_of_problem(day: dt.date) -> str:
    """Why an export cannot be checked as of `day` ('' when it can): the working-day calendar
    holds bank holidays for YEARS only, and pandas cannot hold dates far outside them."""
    first, last = dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31)
    if first <= day <= last:
        return ""
    return (
        f"{day.isoformat()} is outside the dates casecheck can check an export as of, "
        f"{first.isoformat()} to {last.isoformat()} (the years its working-day calendar covers)"
    )


def _date_format_problem(fmt: str) -> str | None:
    """What is wrong with a strftime date format, or None when it reads dates."""
    if "%" not in fmt:
        return "has no %-codes"
    sample = dt.datetime(2001, 2, 3, 4, 5, 6)
    try:
        dt.datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        return f"cannot be used ({exc})"
    missing = [
        part
        for part, codes in (("year", "Yy"), ("month", "mbB"), ("day", "dj"))
        if not any(f"%{code}" in fmt for code in codes)
    ]
    if missing:
        return "has no " + " or ".join(missing)
    return None


def _suggest_format(fmt: str) -> str:
    """ "DD/MM/YYYY" -> "%d/%m/%Y", for the fix of a format written without %-codes."""
    out = fmt.upper().replace("YYYY", "%Y").replace("DD", "%d").replace("MM", "%m", 1)
    out = out.replace("HH", "%H").replace("MM", "%M").replace("SS", "%S")
    return out if _date_format_problem(out) is None else "%d/%m/%Y %H:%M"


def table_config_problems(tables: Mapping[str, TableConfig]) -> list[tuple[Loc, str, str]]:
    """Every unknown table, unknown column and unusable date format, each at its key."""
    problems: list[tuple[Loc, str, str]] = []
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
        declared = TABLES[name]
        names = {c.name for c in declared.columns}
        known = ", ".join(c.name for c in declared.columns)
        council_names: dict[str, str] = {}
        for column, council in table.columns.items():
            if column not in names:
                reversed_ = next((n for n in names if n.casefold() == council.casefold()), None)
                problems.append(
                    (
                        (name, "columns", column),
                        f'"{column}" is not a column of {name} (its columns are: {known})',
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
                        (name, "columns", column),
                        f'"{council}" is already the column read as {earlier}',
                        "A column can be read as one contract column only: correct one of them.",
                    )
                )
            council_names.setdefault(council.strip().casefold(), column)
        dates = ", ".join(declared.date_columns)
        for column, fmt in table.date_formats.items():
            at = (name, "date_formats", column)
            if column not in names or declared.column(column).kind is not Kind.DATE:
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
    raw = yaml.safe_load(text)
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


def load_config(export_dir: Path, config_file: Path | None = None) -> CouncilConfig:
    """Read `config_file`, else `casecheck.yaml` in the export folder, else use the defaults."""
    path = config_file if config_file is not None else export_dir / CONFIG_FILE
    if config_file is None and not path.exists():
        return CouncilConfig()
    doc = read_yaml(path, ConfigError)
    if doc.data is None:
        return CouncilConfig()
    if not isinstance(doc.data, dict):
        raise ConfigError(
            f"{path}, line {doc.line_of([])}",
            "must be a set of settings (council:, tables:, evidence:, closure_days:), "
            "not a list or a single value",
            'Write one setting a line, like "council: Anytown".',
        )
    config: CouncilConfig = validate(doc, CouncilConfig, ConfigError)
    # Folders and files named in the config are relative to the config file.
    relative = {
        key: path.parent / value
        for key in ("history", "waivers")
        if (value := getattr(config, key)) is not None and not value.is_absolute()
    }
    if relative:
        config = config.model_copy(update=relative)
    config._document = doc
    return config
