"""Read the rule files of a folder, apply the council's overrides, and check every reference."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from casecheck.calendar import Duration
from casecheck.engine import scope as scopes
from casecheck.engine.checks import CHECK_KINDS
from casecheck.engine.context import EVIDENCE_FIELDS, VISIT_KINDS
from casecheck.engine.kinds.common import Problem, WhereUse, date_problems
from casecheck.engine.model import Rule, Scope
from casecheck.errors import CasecheckError, ConfigError, RuleFileError
from casecheck.export.config import CONFIG_FILE, CouncilConfig, evidence_vocabulary
from casecheck.export.preset import PRESETS
from casecheck.export.schema import TABLES, Kind
from casecheck.files import rule_files
from casecheck.yamlfile import YamlDocument, read_yaml, validate

SOURCE_RULES = Path(__file__).resolve().parents[2] / "rules"  # a checkout or editable install
INSTALLED_RULES = Path(sys.prefix) / "share" / "casecheck" / "rules"  # pip install .
DEFAULT_RULES = SOURCE_RULES if SOURCE_RULES.is_dir() else INSTALLED_RULES


def rules_folder(config: CouncilConfig, rules_dir: Path | None) -> Path:
    """--rules, else the preset's rule pack, else the shipped rules."""
    if rules_dir is not None:
        return rules_dir
    return PRESETS[config.preset].rules if config.preset else DEFAULT_RULES


def _merge(base: Any, override: Any) -> Any:
    """Deep-merge mappings; anything else in `override` replaces what `base` had."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


class _Overrides(BaseModel):
    """A rule with the council's override applied, validated where casecheck.yaml has it."""

    model_config = ConfigDict(extra="forbid")

    rules: dict[str, Rule]


def _fail_at(
    doc: YamlDocument,
    loc: list[str | int],
    what: str,
    fix: str,
    error: type[CasecheckError] = RuleFileError,
) -> CasecheckError:
    line = doc.line_of(loc)
    where = f"{doc.path}, line {line}" if line is not None else str(doc.path)
    return error(where, f"at {' > '.join(str(p) for p in loc)}: {what}", fix)


Columns = Mapping[str, Mapping[str, Kind]]


def columns_of(config: CouncilConfig) -> dict[str, dict[str, Kind]]:
    """Every table's columns and their kinds: the contract's and the council's declared ones."""
    out = {name: {c.name: c.kind for c in table.columns} for name, table in TABLES.items()}
    for name, table_config in config.tables.items():
        if name in out:
            out[name] |= {c: Kind(e.kind) for c, e in table_config.extra_columns.items()}
    return out


def _scope_wheres(scope: Scope | None, loc: tuple[str | int, ...]) -> list[WhereUse]:
    """The `where:`s in a scope (a care leaver's placements), with where they are."""
    if scope is None:
        return []
    out: list[WhereUse] = []
    if scope.care_leaver is not None:
        out.append(
            ((*loc, "care_leaver", "placements"), "placements", scope.care_leaver.placements)
        )
    for key in ("all_of", "any_of"):
        for i, sub in enumerate(getattr(scope, key) or []):
            out += _scope_wheres(sub, (*loc, key, i))
    return out


def _timescales(part: Any, loc: tuple[str | int, ...] = ()) -> list[Problem]:
    """Every timescale in a rule longer than a rule may set, with where it is written."""
    if isinstance(part, Duration):
        why = part.rule_limit()
        return [Problem(loc, why, "Correct the value.")] if why else []
    if isinstance(part, BaseModel):
        items: list[tuple[str | int, Any]] = [
            (field.alias or name, getattr(part, name))
            for name, field in type(part).model_fields.items()
        ]
    elif isinstance(part, dict):
        items = list(part.items())
    elif isinstance(part, list | tuple):
        items = list(enumerate(part))
    else:
        return []
    return [problem for key, value in items for problem in _timescales(value, (*loc, key))]


def _check_references(
    rule: Rule,
    doc: YamlDocument,
    kinds: list[str],
    columns: Columns,
    at: tuple[str, ...] = (),
    error: type[CasecheckError] = RuleFileError,
) -> None:
    """Evidence kinds, events, tables and columns a rule names must exist, dates are compared
    only on date columns, and no timescale is longer than a rule may set. `at` is where the rule
    sits in `doc` (rules > ID for a council's override in casecheck.yaml)."""
    scope_problems = [*scopes.problems(rule.scope), *_timescales(rule.scope, ("scope",))] + [
        problem
        for loc, table, conditions in _scope_wheres(rule.scope, ("scope",))
        for problem in date_problems(conditions, table, columns[table], loc)
    ]
    if scope_problems:
        first = scope_problems[0]
        raise _fail_at(doc, [*at, *first.loc], first.what, first.fix, error)
    for name, check in rule.checks.items():
        loc: list[str | int] = ["checks", name]
        kind = CHECK_KINDS[check.kind]
        uses = kind.evidence(check)
        problems = [
            Problem(
                (*use.kind_loc[:-1], "require", field),
                f'"{field}" cannot be required of evidence',
                f"Use one of {', '.join(EVIDENCE_FIELDS)}.",
            )
            for use in uses
            for field in use.require
            if field not in EVIDENCE_FIELDS
        ]
        problems += kind.references(check)
        problems += _timescales(check)
        problems += [
            problem
            for loc, table, conditions in kind.wheres(check)
            for problem in date_problems(conditions, table, columns.get(table, {}), loc)
        ]
        problems += [
            Problem(
                use.kind_loc,
                f'unknown evidence kind "{use.kind}"',
                f"Use one of {', '.join(kinds)}, or define it under evidence: in {CONFIG_FILE}.",
            )
            for use in uses
            if use.kind not in kinds
        ]
        if problems:
            first = problems[0]
            raise _fail_at(doc, [*at, *loc, *first.loc], first.what, first.fix, error)


def load_rules(folder: Path, config: CouncilConfig) -> list[Rule]:
    """Every rule in `folder` (sorted by id), with the council's overrides applied."""
    kinds = sorted({*evidence_vocabulary(config).kinds, *VISIT_KINDS})
    columns = columns_of(config)
    if not folder.is_dir():
        raise RuleFileError(
            str(folder), "is not a folder of rule files", "Give --rules a folder of YAML rules."
        )
    files = rule_files(folder)
    if not files:
        raise RuleFileError(
            str(folder), "holds no rule files (*.yaml)", "Give --rules the folder of rules."
        )
    rules: dict[str, Rule] = {}
    for path in files:
        doc = read_yaml(path, RuleFileError)
        if not isinstance(doc.data, dict):
            raise RuleFileError(
                str(path), "is not a rule (a mapping with id, title, ...)", "See rules/README.md."
            )
        rule: Rule = validate(doc, Rule, RuleFileError)
        if rule.id != path.stem:
            raise _fail_at(
                doc,
                ["id"],
                f'the id "{rule.id}" differs from the file name {path.name}',
                f"Rename the file to {rule.id}.yaml or change the id.",
            )
        if rule.id in rules:
            raise RuleFileError(
                str(path), f'the rule id "{rule.id}" is used twice', "Give each rule its own id."
            )
        _check_references(rule, doc, kinds, columns)
        override = config.rules.get(rule.id)
        if override:  # the rule file is fine: whatever is wrong now is the council's override
            at = ("rules", rule.id)
            merged = {"rules": {rule.id: _merge(doc.data, override)}}
            overridden: _Overrides = validate(config.document, _Overrides, ConfigError, merged)
            rule = overridden.rules[rule.id]
            _check_references(rule, config.document, kinds, columns, at, ConfigError)
        rules[rule.id] = rule
    unknown = sorted(set(config.rules) - set(rules))
    if unknown:
        raise _fail_at(
            config.document,
            ["rules", unknown[0]],
            "no rule has this id",
            f"The rules are: {', '.join(sorted(rules))}.",
            ConfigError,
        )
    return [rules[k] for k in sorted(rules)]
