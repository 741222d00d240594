"""Read a YAML file keeping line numbers, so validation errors can name the key and the line."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from casecheck.errors import CasecheckError

Loc = tuple[str | int, ...]


class KeyedProblems(ValueError):
    """Raised by a model validator to report problems at keys below the field it validates.

    Each problem is (path below the field, what is wrong, how to fix it), so that the error
    can name the exact key and its line rather than the field's.
    """

    def __init__(self, problems: Sequence[tuple[Loc, str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(what for _, what, _ in self.problems))


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document and its node tree, to find the line of any key path."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The 1-based line of the deepest node on `loc` that exists in the file."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(part):
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    return line
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                return line
        return line


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps an impossible date (2025-13-01) as text for validation to report."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _repeated_key(node: yaml.Node | None) -> yaml.Node | None:
    """The first key that appears twice in one mapping (YAML would silently keep the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    return key_node
                seen.add(key_node.value)
            found = _repeated_key(value_node)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _repeated_key(item)
            if found is not None:
                return found
    return None


def read_yaml(path: Path, error: type[CasecheckError]) -> YamlDocument:
    """Parse `path`; an unreadable or malformed file raises `error` naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(str(path), "file not found", "Check the path.") from None
    except IsADirectoryError:
        raise error(str(path), "is a folder, not a file", "Give the path of the file.") from None
    except UnicodeDecodeError as exc:
        raise error(
            str(path), f"is not UTF-8 text ({exc.reason})", "Save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise error(
            str(path), f"cannot be read ({exc.strerror})", "Check its permissions."
        ) from None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        raise error(
            where,
            f"is not valid YAML ({exc.problem or exc.context})",
            "Check the indentation and quoting on that line and the one before it.",
        ) from None
    except yaml.YAMLError as exc:
        raise error(str(path), f"is not valid YAML ({exc})", "Check the file.") from None
    finally:
        loader.dispose()
    repeated = _repeated_key(root)
    if repeated is not None:
        raise error(
            f"{path}, line {repeated.start_mark.line + 1}",
            f'the key "{repeated.value}" appears twice in the same place',
            "Merge the two into one (YAML would silently keep only the last).",
        )
    return YamlDocument(path=path, data=data, root=root)


def _unwrap(annotation: Any) -> Any:
    """X from `X | None`."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc`, following fields, dicts and lists."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_KINDS = {
    "dict_type": (
        "must be a set of keys with values (key: value), not a list or a single value",
        "Write each key on its own line, indented under this one.",
    ),
    "list_type": ("must be a list", 'Write it as [a, b] or as lines starting with "- ".'),
    "string_type": ("must be text", "Put the value in quotes."),
    "bool_type": ("must be true or false", "Write true or false."),
}


def _describe(err: dict[str, Any], model: type[BaseModel] | None) -> tuple[str, str]:
    """Turn one pydantic error into (what is wrong, how to fix it)."""
    kind = str(err["type"])
    loc = err["loc"]
    key = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        here = _model_at(model, loc[:-1]) if model is not None else None
        keys = f" (the keys here are: {', '.join(here.model_fields)})" if here else ""
        return f'unknown key "{key}"{keys}', "Remove it or correct its spelling."
    if kind == "missing":
        return f'the key "{key}" is required', f'Add "{key}:" with a value.'
    if kind.startswith("date"):
        return f'"{err["input"]}" is not a date', "Write it as YYYY-MM-DD."
    if kind in _KINDS:
        return _KINDS[kind]
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return message, "Correct the value."


def _in_file(doc: YamlDocument, loc: Sequence[str | int]) -> list[str | int]:
    """`loc` without the parts pydantic adds that are not keys in the file.

    A tagged union puts its tag in the path (checks > plan > records > within, for a check
    whose `kind: records`); the file has no such key, so the path and the line would be wrong.
    """
    node = doc.root
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            values = {key.value: value for key, value in node.value}
            if str(part) not in values:
                tags = {v.value for v in values.values() if isinstance(v, yaml.ScalarNode)}
                # A tag is in the file as a value (kind: records) or, when the data validated
                # is more than the file (a rule with a council's override), not at all: then
                # it is followed by a key the file has here.
                after = str(loc[i + 1]) if i + 1 < len(loc) else None
                if part in tags or (after is not None and after in values):
                    continue
                node = None
            else:
                node = values[str(part)]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
        kept.append(part)
    return kept


def _render(loc: Sequence[str | int]) -> str:
    return " > ".join(f"item {part + 1}" if isinstance(part, int) else part for part in loc)


def validate(
    doc: YamlDocument,
    model: type[BaseModel],
    error: type[CasecheckError],
    data: Any = None,
) -> Any:
    """Validate `doc` against `model`; errors raise `error` naming each key path and line."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        found: list[tuple[int | None, str, str, str]] = []
        for err in exc.errors():
            loc = _in_file(doc, [part for part in err["loc"] if not isinstance(part, str) or part])
            keyed = err.get("ctx", {}).get("error")
            if isinstance(keyed, KeyedProblems):
                for below, what, fix in keyed.problems:
                    at = [*loc, *below]
                    found.append((doc.line_of(at), _render(at), what, fix))
                continue
            what, fix = _describe(dict(err), model)
            found.append((doc.line_of(loc), _render(loc) or "(top level)", what, fix))
        found.sort(key=lambda problem: problem[0] or 0)
        if len(found) == 1:
            line, path, what, fix = found[0]
            where = f"{doc.path}, line {line}" if line is not None else str(doc.path)
            raise error(where, f"at {path}: {what}", fix) from None
        listed = "".join(
            f"\n  line {line}, at {path}: {what}. {fix}" for line, path, what, fix in found
        )
        raise error(str(doc.path), f"{len(found)} problems:{listed}", "") from None
