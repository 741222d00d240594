"""Read a YAML file keeping line numbers, so validation errors can name the key and the line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from casecheck.errors import CasecheckError


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


def read_yaml(path: Path, error: type[CasecheckError]) -> YamlDocument:
    """Parse `path`; an unreadable or malformed file raises `error` naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(str(path), "file not found", "Check the path.") from None
    except UnicodeDecodeError as exc:
        raise error(
            str(path), f"not UTF-8 text ({exc.reason})", "Save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise error(
            str(path), f"cannot be read ({exc.strerror})", "Check its permissions."
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        raise error(
            where,
            f"is not valid YAML ({exc.problem})",
            "Check the indentation and quoting on that line and the one before it.",
        ) from None
    return YamlDocument(path=path, data=data, root=root)


def _describe(err: dict[str, Any], model: type[BaseModel] | None) -> tuple[str, str]:
    """Turn one pydantic error into (what is wrong, how to fix it)."""
    kind = err["type"]
    loc = err["loc"]
    key = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        return f'unknown key "{key}"', "Remove it or correct its spelling."
    if kind == "missing":
        return f'the key "{key}" is required', f'Add "{key}:" with a value.'
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return message, "Correct the value."


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
        found = []
        for err in exc.errors():
            loc = [part for part in err["loc"] if not isinstance(part, str) or part]
            line = doc.line_of(loc)
            what, fix = _describe(dict(err), model)
            path = " > ".join(str(part) for part in loc) or "(top level)"
            found.append((line, path, what, fix))
        if len(found) == 1:
            line, path, what, fix = found[0]
            where = f"{doc.path}, line {line}" if line is not None else str(doc.path)
            raise error(where, f"at {path}: {what}", fix) from None
        listed = "".join(
            f"\n  line {line}, at {path}: {what}. {fix}" for line, path, what, fix in found
        )
        raise error(str(doc.path), f"{len(found)} problems:{listed}", "") from None
