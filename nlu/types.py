"""The vocabulary `nlu` hands to its callers: a `Parse` of one message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Entity:
    """One entity found in a message, with its normalised value and where it was found."""

    type: str
    value: str
    text: str
    start: int
    end: int
    extractor: str = "regex"


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True)
class Parse:
    """What a message means: the chosen intent, the ranked alternatives and the entities.

    `intent` is `out_of_scope` when the classifier predicted it or when the top
    confidence fell below the model's threshold; `ranking` still lists what the
    classifier actually scored, best first, so callers can explain or override.
    """

    text: str
    intent: str
    confidence: float
    ranking: tuple[IntentScore, ...] = ()
    entities: tuple[Entity, ...] = field(default_factory=tuple)

    def entity(self, entity_type: str) -> str | None:
        """The value of the first entity of `entity_type`, or None."""
        return next((e.value for e in self.entities if e.type == entity_type), None)

    def entity_values(self, entity_type: str) -> list[str]:
        return [e.value for e in self.entities if e.type == entity_type]


class IntentClassifier(Protocol):
    """Anything that can turn a message into a `Parse` (the trained pipeline, a test double)."""

    def parse(self, text: str) -> Parse: ...
