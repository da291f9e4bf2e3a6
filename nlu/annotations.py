"""Inline entity markup in Rasa examples: `[text](entity)`, `[text](entity:value)` and
`[text]{"entity": "e", "value": "v"}`.

Parsed by a small scanner rather than one regular expression so that a stray bracket is
reported precisely instead of silently becoming part of the example text, while
support-style text such as `[Errno 13]` (brackets not followed by `(` or `{`) stays
literal, as it does in Rasa.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

ENTITY_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


class AnnotationError(ValueError):
    """Bad markup in one example; the caller adds the file and line."""


@dataclass(frozen=True)
class EntitySpan:
    """An annotated entity, with `start`/`end` in the example text *without* markup."""

    entity: str
    value: str
    start: int
    end: int
    text: str
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class Annotated:
    text: str
    entities: tuple[EntitySpan, ...]


def parse_annotated(raw: str) -> Annotated:
    """Strip the markup from `raw` and return the plain text with its entity spans."""
    plain: list[str] = []
    spans: list[EntitySpan] = []
    length = 0
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "]":
            raise AnnotationError(f"unbalanced ']' at column {index + 1}")
        if char != "[":
            plain.append(char)
            length += 1
            index += 1
            continue
        close = _find_close(raw, index)
        inner = raw[index + 1 : close]
        after = raw[close + 1 : close + 2]
        if after not in ("(", "{"):
            # A literal bracketed phrase such as "[Errno 13]": kept as text.
            plain.append(raw[index : close + 1])
            length += close + 1 - index
            index = close + 1
            continue
        if not inner.strip():
            raise AnnotationError(f"empty entity text at column {index + 1}")
        end_of_markup, span = _read_label(raw, close + 1, inner, length)
        spans.append(span)
        plain.append(inner)
        length += len(inner)
        index = end_of_markup
    return Annotated("".join(plain), tuple(spans))


def _find_close(raw: str, start: int) -> int:
    """The index of the `]` closing the `[` at `start`; nested `[` are not allowed."""
    for index in range(start + 1, len(raw)):
        if raw[index] == "[":
            break
        if raw[index] == "]":
            return index
    raise AnnotationError(f"unbalanced '[' at column {start + 1}")


def _read_label(raw: str, at: int, inner: str, offset: int) -> tuple[int, EntitySpan]:
    """Read `(entity[:value])` or `{json}` starting at `at`; return where it ends and the span."""
    closer = ")" if raw[at] == "(" else "}"
    end = raw.find(closer, at + 1)
    if end < 0:
        raise AnnotationError(f"unbalanced '{raw[at]}' at column {at + 1}")
    label = raw[at + 1 : end]
    if closer == ")":
        entity, _, value = label.partition(":")
        fields = {"entity": entity.strip(), "value": value.strip() or None}
    else:
        fields = _json_label(raw[at : end + 1], at)
    entity = fields.get("entity")
    if not isinstance(entity, str) or not ENTITY_NAME.match(entity):
        raise AnnotationError(f"invalid entity name {entity!r} at column {at + 1}")
    value = fields.get("value") or inner
    span = EntitySpan(
        entity=entity,
        value=str(value),
        start=offset,
        end=offset + len(inner),
        text=inner,
        role=_optional_str(fields.get("role")),
        group=_optional_str(fields.get("group")),
    )
    return end + 1, span


def _json_label(label: str, at: int) -> dict[str, object]:
    try:
        fields = json.loads(label)
    except json.JSONDecodeError as error:
        raise AnnotationError(
            f"invalid JSON entity label at column {at + 1}: {error.msg}"
        ) from None
    if not isinstance(fields, dict):
        raise AnnotationError(f"JSON entity label at column {at + 1} is not an object")
    unknown = set(fields) - {"entity", "value", "role", "group"}
    if unknown:
        raise AnnotationError(f"unknown keys {sorted(unknown)} in entity label at column {at + 1}")
    return fields


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
