"""Read a YAML file keeping line numbers, so validation errors can name the key and the line."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from casecheck.errors import CasecheckError
from casecheck.files import read_limited

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


# Resource limits for a YAML file (casecheck.yaml, a rule file): a hostile or broken file is
# refused with a message instead of hanging the run or exhausting memory.
YAML_SIZE_LIMIT = 1 << 20  # bytes in the file
YAML_DEPTH_LIMIT = 50  # mappings and lists inside one another, aliases followed
YAML_NODE_LIMIT = 100_000  # keys, values and items once every alias is expanded


class _TooDeep(Exception):
    """Nesting deeper than YAML_DEPTH_LIMIT, at `mark`."""

    def __init__(self, mark: yaml.Mark) -> None:
        self.mark = mark
        super().__init__()


class _Reading:
    """What casecheck's YAML loaders add: an impossible date (2025-13-01) stays text for
    validation to report, and composing stops at YAML_DEPTH_LIMIT levels of nesting, before
    Python's recursion limit is reached."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > YAML_DEPTH_LIMIT:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[attr-defined]
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[misc]
            return node
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class _Loader(_Reading, yaml.SafeLoader):
    """PyYAML's own SafeLoader, all in Python: its messages are the ones a broken file gets."""


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    _FastLoader: type[Any] | None = None
else:

    class _CLoader(_Reading, Composer, CParser, SafeConstructor, Resolver):
        """The same loader on libyaml's parser (C): five times faster on the rule files, so
        reading them is not most of `rules list`. Only used for a file it reads without
        error; any other goes to _Loader, whose messages the tests pin."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _FastLoader = _CLoader

# YAML shipped inside casecheck (casecheck/data/evidence.yaml): well-formed and trusted, so
# read as yaml.safe_load reads it, on libyaml's parser when PyYAML has it (three times faster).
_ShippedLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Booleans as YAML 1.2 has them (true/false): YAML 1.1 also reads yes, no, on and off as
# booleans, which turns a lookup's `on:` key, or a value such as "No", into true or false.
_BOOL = "tag:yaml.org,2002:bool"


def _set_up(loader: Any) -> None:
    """Register on a loader class what casecheck reads differently from PyYAML's SafeLoader."""
    loader.add_constructor("tag:yaml.org,2002:timestamp", loader.construct_yaml_timestamp)
    loader.yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )


_set_up(_Loader)
if _FastLoader is not None:
    _set_up(_FastLoader)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _shape_problem(root: yaml.Node) -> tuple[yaml.Node, str, str] | None:
    """(node, what, fix) when the document, aliases expanded, is too big, too deep or cyclic.

    Each node is visited once (an alias is the same node object as its anchor), and the
    expanded size and depth are computed bottom-up from its children's, so a "billion laughs"
    document costs as many steps as it has nodes in the file, not in its expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > YAML_DEPTH_LIMIT:
                return (
                    node,
                    f"nests more than {YAML_DEPTH_LIMIT} levels deep once its aliases (*name) "
                    "are followed",
                    "Write the settings out flat, without aliases that nest.",
                )
            if size[key] > YAML_NODE_LIMIT:
                return (
                    node,
                    f"expands to more than {YAML_NODE_LIMIT:,} values once its aliases (*name) "
                    "are followed",
                    "Write the settings out without aliases that repeat one another.",
                )
            continue
        if key in size:
            continue
        if key in on_path:
            return (
                node,
                "has an alias (*name) inside the value its anchor (&name) names, "
                "so the value contains itself",
                "Remove the alias, or write the value out.",
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    return None


def _repeated_key(root: yaml.Node | None) -> yaml.Node | None:
    """The first key that appears twice in one mapping (YAML would silently keep the last).

    Every node is walked once, however many aliases refer to it.
    """
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in keys:
                        return key_node
                    keys.add(key_node.value)
        # In reverse, so that the first repeat in file order is found first.
        stack.extend(reversed(_children(node)))
    return None


def read_yaml(path: Path, error: type[CasecheckError]) -> YamlDocument:
    """Parse `path`; an unreadable, malformed or oversized file raises `error` naming the line."""
    data_bytes = read_limited(path, error, YAML_SIZE_LIMIT)
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            str(path), f"is not UTF-8 text ({exc.reason})", "Save the file as UTF-8."
        ) from None
    fast = _read_fast(path, text)
    if fast is not None:
        return fast
    try:
        loader = _Loader(text)  # reads the text at once: a control character raises here
    except yaml.reader.ReaderError as exc:
        raise error(
            f"{path}, line {text.count(chr(10), 0, exc.position) + 1}",
            f"has a character YAML does not allow (U+{ord(text[exc.position]):04X})",
            "Remove it; control characters cannot be written in a YAML file.",
        ) from None
    try:
        root = loader.get_single_node()
        shape = _shape_problem(root) if root is not None else None
        if shape is not None:
            node, what, fix = shape
            raise error(f"{path}, line {node.start_mark.line + 1}", what, fix)
        data = loader.construct_document(root) if root is not None else None
    except _TooDeep as exc:
        raise error(
            f"{path}, line {exc.mark.line + 1}",
            f"nests more than {YAML_DEPTH_LIMIT} levels deep",
            "Write the settings out with less nesting.",
        ) from None
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


def load_shipped(text: str) -> Any:
    """YAML that ships with casecheck, read exactly as yaml.safe_load reads it."""
    return yaml.load(text, Loader=_ShippedLoader)  # a safe loader: plain data only


def _plain_tree_fits(root: yaml.Node) -> bool:
    """Whether a document without anchors (so without aliases: each node is in one place) is
    within the depth and size limits and repeats no key in a mapping.

    What _shape_problem and _repeated_key find, in one walk without their bookkeeping for nodes
    met twice (aliases): reading the shipped rules takes 3% fewer instructions of `rules list`.
    """
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > YAML_DEPTH_LIMIT or count > YAML_NODE_LIMIT:
            return False
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            if len(set(keys)) < len(keys):
                return False
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((part, depth + 1) for part in node.value)
    return True


def _read_fast(path: Path, text: str) -> YamlDocument | None:
    """The document as _CLoader reads it; None when it cannot, or when anything is wrong with
    the file (read_yaml then reads it with _Loader, which says what, in its own words)."""
    if _FastLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = _FastLoader(text)
    try:
        root = loader.get_single_node()
        if root is None or (
            not _plain_tree_fits(root)
            if "&" not in text  # no anchor, so no alias
            else _shape_problem(root) is not None or _repeated_key(root) is not None
        ):
            return None
        data = loader.construct_document(root)
    except (yaml.YAMLError, _TooDeep):
        return None
    finally:
        loader.dispose()
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
