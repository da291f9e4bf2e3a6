"""The formats a guided fix's collect step can ask for, and how answers are checked.

Values are normalised by the same rules the NLU uses for its built-in entities, so a
version typed earlier in the conversation ("it broke after upgrading to v3.2") and one
typed in answer to the question are the same value, and the one fills the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from nlu.entities import EntityExtractor

MAX_TEXT = 500
_EXTRACTOR = EntityExtractor()  # built-in rules only: stateless, safe to share


@dataclass(frozen=True)
class Format:
    """Turns an answer into the value to store, or None when it does not fit."""

    name: str
    example: str  # shown when the answer does not fit
    read: Callable[[str], str | None]


def _entity(kind: str) -> Callable[[str], str | None]:
    def read(text: str) -> str | None:
        found = [e.value for e in _EXTRACTOR.extract(text) if e.type == kind]
        return found[0] if found else None

    return read


def _text(text: str) -> str | None:
    text = " ".join(text.split())
    return text[:MAX_TEXT] if text else None


def _url(text: str) -> str | None:
    match = re.search(r"https?://\S+", text)
    if not match:
        return None
    url = match.group(0).rstrip(".,;)>\"'")
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _number(text: str) -> str | None:
    match = re.fullmatch(r"\s*(-?\d+(?:[.,]\d+)?)\s*", text)
    return match.group(1).replace(",", ".") if match else None


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", "a short description", _text),
        Format("version", "a version number such as 3.11.4", _entity("version")),
        Format("os", "Windows, macOS or Linux", _entity("os")),
        Format("email", "an address such as ana@example.com", _entity("email")),
        Format("error_code", "an error code such as 0x80070005", _entity("error_code")),
        Format("url", "a link starting with https://", _url),
        Format("number", "a number such as 8000", _number),
    )
}


def read_answer(text: str, format_name: str | None, pattern: str | None) -> str | None:
    """The value an answer gives, or None when it does not fit the step's format/pattern."""
    value = FORMATS[format_name or "text"].read(text)
    if value is not None and pattern is not None:
        try:
            if not re.search(pattern, value):
                return None
        except re.error:  # reported by the linter; the runner must not crash on it
            return None
    return value


def describe(format_name: str | None, pattern: str | None) -> str:
    """What a fitting answer looks like, for the "please try again" message."""
    if pattern is not None and format_name in (None, "text"):
        return "an answer in the expected form"
    return FORMATS[format_name or "text"].example
