"""The council config (casecheck.yaml): file names, column renames, date formats, evidence kinds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from casecheck.errors import ConfigError
from casecheck.schema import TABLES, Kind
from casecheck.yamlfile import read_yaml, validate

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

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableConfig]) -> dict[str, TableConfig]:
        for name, table in tables.items():
            if name not in TABLES:
                known = ", ".join(TABLES)
                raise ValueError(f'unknown table "{name}" (the tables are: {known})')
            declared = TABLES[name]
            names = {c.name for c in declared.columns}
            for column in [*table.columns, *table.date_formats]:
                if column not in names:
                    raise ValueError(
                        f'"{column}" is not a column of {name} '
                        f"(its columns are: {', '.join(sorted(names))}); "
                        "the key is the contract's name and the value the council's"
                    )
            for column, fmt in table.date_formats.items():
                if declared.column(column).kind is not Kind.DATE:
                    raise ValueError(f"{name}.{column} is not a date column")
                if "%" not in fmt:
                    raise ValueError(
                        f'date format "{fmt}" for {name}.{column} has no %-codes '
                        '(write it like "%d/%m/%Y %H:%M")'
                    )
            renamed = list(table.columns.values())
            if len(renamed) != len(set(renamed)):
                raise ValueError(f"two contract columns of {name} are mapped to the same column")
        return tables


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


def normalise_names(values: Any) -> Any:
    """Vectorised twin of `_normalise` for a pandas string Series."""
    return values.str.strip().str.replace(r"\s+", " ", regex=True).str.casefold()


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
            str(path),
            "must be a mapping of keys (council, tables, evidence, ...)",
            "See README.md.",
        )
    config: CouncilConfig = validate(doc, CouncilConfig, ConfigError)
    return config
