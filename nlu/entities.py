"""Entity extraction: the training data's `regex:` and `lookup:` blocks plus the built-in
support-domain rules, with synonyms mapping each value to its canonical form.

Rasa semantics: a regex or lookup block's name is the entity type it extracts, and a
synonym maps an extracted *value* (case-insensitively) to the canonical value. Where
matches overlap, the longest wins; on a tie, data regexes beat lookups beat built-ins,
so a deployment can override a built-in rule from its own data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from nlu.builtin_entities import Rule, builtin_rules
from nlu.training_data import TrainingData
from nlu.types import Entity


@dataclass(frozen=True)
class EntityConfig:
    """What the training data contributes to extraction, as plain JSON-friendly data."""

    regexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    lookups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    synonyms: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_training_data(cls, data: TrainingData) -> EntityConfig:
        return cls(
            regexes=tuple((r.name, r.patterns) for r in data.regexes),
            lookups=tuple((t.name, t.elements) for t in data.lookups),
            synonyms=tuple(sorted(data.synonyms.items())),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "regexes": [[name, list(patterns)] for name, patterns in self.regexes],
            "lookups": [[name, list(elements)] for name, elements in self.lookups],
            "synonyms": dict(self.synonyms),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityConfig:
        return cls(
            regexes=tuple((str(n), tuple(map(str, p))) for n, p in data.get("regexes", ())),
            lookups=tuple((str(n), tuple(map(str, e))) for n, e in data.get("lookups", ())),
            synonyms=tuple((str(k), str(v)) for k, v in data.get("synonyms", {}).items()),
        )


@dataclass(frozen=True)
class _Candidate:
    entity: Entity
    priority: int

    @property
    def length(self) -> int:
        return self.entity.end - self.entity.start


class EntityExtractor:
    """Finds entities in a message; build once per model, then call `extract` per message."""

    def __init__(self, config: EntityConfig | None = None) -> None:
        config = config or EntityConfig()
        data_rules = [
            (Rule(name, re.compile(pattern, re.IGNORECASE), _as_written), "regex")
            for name, patterns in config.regexes
            for pattern in patterns
        ]
        lookup_rules = [
            (_lookup_rule(name, elements), "lookup")
            for name, elements in config.lookups
            if elements
        ]
        builtin = [(rule, "builtin") for rule in builtin_rules()]
        self._rules = tuple(data_rules + lookup_rules + builtin)
        self._synonyms = {variant.lower(): canonical for variant, canonical in config.synonyms}

    def extract(self, text: str) -> tuple[Entity, ...]:
        """Entities in `text`, sorted by position, none overlapping another."""
        chosen: list[Entity] = []
        ordered = sorted(
            self._candidates(text), key=lambda c: (-c.length, c.priority, c.entity.start)
        )
        for candidate in ordered:
            entity = candidate.entity
            if all(entity.end <= kept.start or entity.start >= kept.end for kept in chosen):
                chosen.append(entity)
        return tuple(sorted(chosen, key=lambda e: (e.start, e.end)))

    def _candidates(self, text: str) -> Iterator[_Candidate]:
        for priority, (rule, extractor) in enumerate(self._rules):
            for match in rule.pattern.finditer(text):
                start, end = match.span(rule.group)
                value = rule.normalise(match)
                if value is None or start == end:
                    continue
                value = self._synonyms.get(value.lower(), value)
                entity = Entity(rule.entity, value, text[start:end], start, end, extractor)
                yield _Candidate(entity, priority)


def _lookup_rule(name: str, elements: tuple[str, ...]) -> Rule:
    """Whole-word, case-insensitive alternatives, longest first so "ms teams" beats "teams"."""
    canonical = {element.lower(): element for element in elements}
    alternatives = "|".join(
        re.escape(e).replace(r"\ ", r"\s+") for e in sorted(canonical, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return Rule(
        name, pattern, lambda m: canonical.get(" ".join(m.group(0).lower().split()), m.group(0))
    )


def _as_written(match: re.Match[str]) -> str:
    return match.group(0)
