"""Read one Rasa 3.x NLU YAML file into blocks of raw items, each with its line number.

Only the file's structure is checked here (keys, node kinds, `- ` list lines); what an
item means (markup, regex syntax, duplicates) is `training_data`'s job. The YAML is
composed into nodes rather than loaded into dicts so every item keeps its line.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nlu.errors import TrainingDataError

BLOCK_KINDS = ("intent", "synonym", "regex", "lookup")
BLOCK_EXTRA_KEYS = frozenset({"examples", "metadata"})
IGNORED_TOP_LEVEL = frozenset({"stories", "rules"})  # Rasa dialogue data, harmless here


@dataclass(frozen=True)
class Item:
    """One `- ` line of an `examples` block (or one `text:` entry), markup not yet parsed."""

    text: str
    line: int


@dataclass(frozen=True)
class Block:
    """One entry of the `nlu:` list: its kind (`intent`, `synonym`, `regex`, `lookup`)."""

    kind: str
    name: str
    items: tuple[Item, ...]
    line: int


@dataclass(frozen=True)
class ParsedFile:
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...]


def parse_file(source: str, text: str) -> ParsedFile:
    """Parse the YAML `text` of the file named `source` (used only in messages)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error)
        raise TrainingDataError(f"{source}:{line}: invalid YAML: {problem}") from None
    if root is None:
        return ParsedFile((), (f"{source}:1: file is empty",))
    if not isinstance(root, MappingNode):
        raise TrainingDataError(f"{source}:{_line(root)}: expected a mapping with an 'nlu' key")
    blocks: list[Block] = []
    warnings: list[str] = []
    for key, value in _pairs(source, root):
        if key == "version":
            _expect_scalar(source, value, "'version'")
        elif key == "nlu":
            blocks.extend(_blocks(source, value))
        elif key in IGNORED_TOP_LEVEL:
            warnings.append(f"{source}:{_line(value)}: '{key}' ignored (not NLU data)")
        else:
            raise TrainingDataError(
                f"{source}:{_line(value)}: unknown top-level key '{key}' "
                "(expected 'version' or 'nlu')"
            )
    return ParsedFile(tuple(blocks), tuple(warnings))


def _blocks(source: str, node: Node) -> list[Block]:
    if isinstance(node, ScalarNode) and node.value in ("", "~", "null"):
        return []
    if not isinstance(node, SequenceNode):
        raise TrainingDataError(f"{source}:{_line(node)}: 'nlu' must be a list")
    return [_block(source, entry) for entry in node.value]


def _block(source: str, node: Node) -> Block:
    if not isinstance(node, MappingNode):
        raise TrainingDataError(
            f"{source}:{_line(node)}: expected an '- intent:', '- synonym:', '- regex:' "
            "or '- lookup:' entry"
        )
    fields = dict(_pairs(source, node))
    kinds = [kind for kind in BLOCK_KINDS if kind in fields]
    if len(kinds) != 1:
        found = ", ".join(sorted(fields)) or "nothing"
        raise TrainingDataError(
            f"{source}:{_line(node)}: an entry needs exactly one of "
            f"{', '.join(BLOCK_KINDS)} (found {found})"
        )
    kind = kinds[0]
    unknown = set(fields) - BLOCK_EXTRA_KEYS - {kind}
    if unknown:
        key = sorted(unknown)[0]
        raise TrainingDataError(f"{source}:{_line(fields[key])}: unknown key '{key}' in {kind}")
    name = _expect_scalar(source, fields[kind], f"the {kind} name").strip()
    if not name:
        raise TrainingDataError(f"{source}:{_line(node)}: {kind} without a name")
    examples = fields.get("examples")
    items = _items(source, examples) if examples is not None else ()
    if not items:
        raise TrainingDataError(f"{source}:{_line(node)}: {kind} '{name}' has no examples")
    return Block(kind, name, items, _line(node))


def _items(source: str, node: Node) -> tuple[Item, ...]:
    """`examples: |` text, or Rasa's list form `- text: ...` (with optional metadata)."""
    if isinstance(node, ScalarNode):
        return tuple(_list_lines(source, node))
    if isinstance(node, SequenceNode):
        return tuple(_text_entry(source, entry) for entry in node.value)
    raise TrainingDataError(f"{source}:{_line(node)}: 'examples' must be a '|' block")


def _list_lines(source: str, node: ScalarNode) -> list[Item]:
    # In a literal block (`|`) line i of the value is line i+1 after the indicator;
    # other scalar styles fold lines, so their items get the line the value starts on.
    first = node.start_mark.line + 2 if node.style == "|" else _line(node)
    items = []
    for offset, raw in enumerate(node.value.split("\n")):
        line = first + offset if node.style == "|" else first
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("-"):
            raise TrainingDataError(f"{source}:{line}: example lines must start with '- '")
        text = stripped[1:].strip()
        if not text:
            raise TrainingDataError(f"{source}:{line}: empty example")
        items.append(Item(text, line))
    return items


def _text_entry(source: str, node: Node) -> Item:
    if isinstance(node, MappingNode):
        fields = dict(_pairs(source, node))
        unknown = set(fields) - {"text", "metadata"}
        if "text" in fields and not unknown:
            text = _expect_scalar(source, fields["text"], "'text'").strip()
            if text:
                return Item(text, _line(fields["text"]))
    raise TrainingDataError(f"{source}:{_line(node)}: list examples must be '- text: ...' entries")


def _pairs(source: str, node: MappingNode) -> list[tuple[str, Node]]:
    pairs: list[tuple[str, Node]] = []
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = _expect_scalar(source, key_node, "a key")
        if key in seen:
            raise TrainingDataError(f"{source}:{_line(key_node)}: duplicate key '{key}'")
        seen.add(key)
        pairs.append((key, value_node))
    return pairs


def _expect_scalar(source: str, node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise TrainingDataError(f"{source}:{_line(node)}: {what} must be a plain value")
    return str(node.value)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1
