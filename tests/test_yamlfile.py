"""YAML read through libyaml's parser gives what PyYAML's own parser gives, lines included."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from casecheck.errors import ConfigError
from casecheck.yamlfile import _FastLoader, _Loader, _read_fast, read_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(
    [
        *(ROOT / "rules").glob("*.yaml"),
        *(ROOT / "casecheck").rglob("*.yaml"),
    ]
)


def _nodes(node: yaml.Node) -> list[tuple[object, ...]]:
    """Every node's kind, tag, value (scalars) and where it starts and ends, in file order."""
    value = node.value if isinstance(node, yaml.ScalarNode) else None
    start, end = node.start_mark, node.end_mark
    found: list[tuple[object, ...]] = [
        (type(node).__name__, node.tag, value, start.line, start.column, end.line, end.column)
    ]
    children = (
        [part for pair in node.value for part in pair]
        if isinstance(node, yaml.MappingNode)
        else node.value
        if isinstance(node, yaml.SequenceNode)
        else []
    )
    for child in children:
        found += _nodes(child)
    return found


def _slow(text: str) -> tuple[object, list[tuple[object, ...]]]:
    loader = _Loader(text)
    root = loader.get_single_node()
    assert root is not None
    return loader.construct_document(root), _nodes(root)


def test_libyaml_is_there() -> None:
    assert _FastLoader is not None


def test_every_shipped_yaml_file_reads_the_same_with_both_parsers() -> None:
    assert len(SHIPPED) > 40
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8-sig")
        fast = _read_fast(path, text)
        assert fast is not None, path
        assert fast.root is not None
        assert (fast.data, _nodes(fast.root)) == _slow(text), path


TRICKY = """\
id: x  # a comment
on: yes
flags: [No, off, true, FALSE]
when: 2025-13-01
day: 2025-12-25
stamp: 2025-12-25 10:30:00
text: |
  two lines,
  kept
folded: >-
  one
  line
anchor: &a {k: 1}
again: *a
"quoted: no": 'it''s'
unicode: "café – ü\\u2028"
number: 010
empty:
list:
  - - nested
    - 1.5
"""


def test_tricky_yaml_reads_the_same_with_both_parsers(tmp_path: Path) -> None:
    path = tmp_path / "tricky.yaml"
    path.write_text(TRICKY, encoding="utf-8")
    fast = _read_fast(path, TRICKY)
    assert fast is not None and fast.root is not None
    assert (fast.data, _nodes(fast.root)) == _slow(TRICKY)
    assert fast.data["on"] == "yes" and fast.data["when"] == "2025-13-01"
    assert read_yaml(path, ConfigError).data == fast.data


@pytest.mark.parametrize(
    "text",
    [
        "a: [1, 2\n",  # not valid YAML
        "a: 1\na: 2\n",  # a repeated key
        "a: \x07\n",  # a control character
        "a: " + "[" * 60 + "]" * 60 + "\n",  # too deep
        "",  # empty
        "a:\n  b: 1\n  c: {d: 1, d: 2}\n",  # a key repeated deeper down
        "- " * 60 + "x\n",  # too deep, in block style
        "a: &x 1\nb: *x\nb: 2\n",  # a repeated key in a file with an anchor
        "a: &x [1, *x]\n",  # a value that contains itself
    ],
)
def test_a_file_with_anything_wrong_goes_to_pyyaml_for_its_message(text: str) -> None:
    assert _read_fast(Path("x.yaml"), text) is None


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a: [1, 2]\nb: {c: 3}\n", True),  # 1 + 2 keys + [1, 2] 3 + {c: 3} 3 = 9 nodes
        ("a: [1, 2, 3]\nb: {c: 3}\n", False),  # 10 nodes
        ("a: &x [1, 2]\nb: *x\n", True),  # 7 nodes in the file, 9 once the alias is followed
        ("a: &x [1, 2, 3]\nb: *x\n", False),  # 11 once followed
    ],
)
def test_the_size_limit_is_the_same_with_and_without_anchors(
    text: str, fits: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An anchor-free file is checked by one walk (_plain_tree_fits), any other by
    # _shape_problem, which follows aliases: both count the nodes the same way.
    monkeypatch.setattr("casecheck.yamlfile.YAML_NODE_LIMIT", 9)
    assert (_read_fast(Path("x.yaml"), text) is not None) is fits
