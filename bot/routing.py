"""Which priority, tier and queue a ticket gets: tier0.toml's `[tickets]` table.

    [tickets.priority]            # impact -> urgency -> priority (ITIL's matrix by default)
    high = { high = "P1", medium = "P2", low = "P3" }
    medium = { high = "P2", medium = "P3", low = "P4" }
    low = { high = "P3", medium = "P4", low = "P4" }

    [[tickets.routes]]            # the first route whose conditions all hold wins
    priority = ["P1", "P2"]
    tier = 2
    queue = "incidents"

    [[tickets.routes]]
    category = "installation"     # also product, intent; a value or a list of values
    tier = 1
    queue = "setup"

A ticket no route matches goes to tier 1, queue `default_queue` ("general"). Without
a `routes` list, P1 tickets go to tier 2, queue "incidents".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("high", "medium", "low")
PRIORITIES = ("P1", "P2", "P3", "P4")
CONDITIONS = ("category", "product", "intent", "priority")
ROUTE_KEYS = frozenset({*CONDITIONS, "tier", "queue"})
DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "high": {"high": "P1", "medium": "P2", "low": "P3"},
    "medium": {"high": "P2", "medium": "P3", "low": "P4"},
    "low": {"high": "P3", "medium": "P4", "low": "P4"},
}
DEFAULT_QUEUE = "general"
MAX_QUEUE = 64  # the tickets.queue column
DEFAULT_ROUTES: list[dict[str, Any]] = [{"priority": "P1", "tier": 2, "queue": "incidents"}]


class RoutingConfigError(ValueError):
    """A mistake in the [tickets] table, with its place: `tickets.routes[2].tier: ...`."""


@dataclass(frozen=True)
class Route:
    conditions: Mapping[str, frozenset[str]]  # condition: accepted values (lower case)
    tier: int
    queue: str

    def matches(self, facts: Mapping[str, str | None]) -> bool:
        return all(
            (facts.get(name) or "").lower() in accepted
            for name, accepted in self.conditions.items()
        )


@dataclass(frozen=True)
class Routing:
    matrix: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: DEFAULT_MATRIX)
    routes: tuple[Route, ...] = ()  # parse_routing(None) has the default P1 route
    default_queue: str = DEFAULT_QUEUE

    def priority(self, impact: str, urgency: str) -> str:
        """P1..P4 for an impact and an urgency, each high, medium or low."""
        return self.matrix[impact][urgency]

    def route(
        self,
        *,
        priority: str,
        category: str | None = None,
        product: str | None = None,
        intent: str | None = None,
    ) -> tuple[int, str]:
        """(tier, queue) of the first route the ticket's facts satisfy."""
        facts = {"priority": priority, "category": category, "product": product, "intent": intent}
        for route in self.routes:
            if route.matches(facts):
                return route.tier, route.queue
        return 1, self.default_queue


def parse_routing(data: Any) -> Routing:
    """The `[tickets]` table (None or {}: ITIL's matrix, no routes)."""
    data = data or {}
    if not isinstance(data, Mapping):
        raise RoutingConfigError("tickets: expected a table with priority and routes")
    unknown = sorted(set(data) - {"priority", "routes", "default_queue"})
    if unknown:
        raise RoutingConfigError(
            f"tickets: unknown key(s) {', '.join(unknown)}; known: default_queue, priority, routes"
        )
    matrix = _matrix(data.get("priority"))
    routes = data.get("routes", DEFAULT_ROUTES)
    if not isinstance(routes, list):
        raise RoutingConfigError("tickets.routes: expected a list of tables ([[tickets.routes]])")
    default_queue = data.get("default_queue", DEFAULT_QUEUE)
    if not isinstance(default_queue, str) or not 0 < len(default_queue.strip()) <= MAX_QUEUE:
        raise RoutingConfigError(
            f"tickets.default_queue: expected a queue name of 1 to {MAX_QUEUE} characters"
        )
    parsed = tuple(_route(route, f"tickets.routes[{n}]") for n, route in enumerate(routes, 1))
    return Routing(matrix, parsed, default_queue.strip())


def _matrix(data: Any) -> dict[str, dict[str, str]]:
    matrix = {impact: dict(row) for impact, row in DEFAULT_MATRIX.items()}
    if data is None:
        return matrix
    if not isinstance(data, Mapping):
        raise RoutingConfigError("tickets.priority: expected impact = { urgency = priority }")
    for impact, row in data.items():
        where = f"tickets.priority.{impact}"
        if impact not in LEVELS:
            raise RoutingConfigError(f"{where}: impact must be one of {', '.join(LEVELS)}")
        if not isinstance(row, Mapping):
            raise RoutingConfigError(
                f'{where}: expected {{ high = "P1", medium = ..., low = ... }}'
            )
        for urgency, priority in row.items():
            if urgency not in LEVELS:
                raise RoutingConfigError(
                    f"{where}.{urgency}: urgency must be one of {', '.join(LEVELS)}"
                )
            if priority not in PRIORITIES:
                raise RoutingConfigError(
                    f"{where}.{urgency}: expected P1, P2, P3 or P4, got {priority!r}"
                )
            matrix[impact][urgency] = priority
    return matrix


def _route(data: Any, where: str) -> Route:
    if not isinstance(data, Mapping):
        raise RoutingConfigError(f"{where}: expected a table with conditions, tier and queue")
    unknown = sorted(set(data) - ROUTE_KEYS)
    if unknown:
        known = ", ".join(sorted(ROUTE_KEYS))
        raise RoutingConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {known}")
    tier = data.get("tier", 1)
    if isinstance(tier, bool) or tier not in (1, 2, 3):
        raise RoutingConfigError(f"{where}.tier: expected 1, 2 or 3, got {tier!r}")
    queue = data.get("queue", DEFAULT_QUEUE)
    if not isinstance(queue, str) or not 0 < len(queue.strip()) <= MAX_QUEUE:
        raise RoutingConfigError(
            f"{where}.queue: expected a queue name of 1 to {MAX_QUEUE} characters"
        )
    conditions = {}
    for name in CONDITIONS:
        if name in data:
            conditions[name] = _values(data[name], f"{where}.{name}")
    if not conditions:
        raise RoutingConfigError(
            f"{where}: no condition (category, product, intent or priority): it would catch "
            "every ticket; use tickets.default_queue for that"
        )
    for value in conditions.get("priority", ()):
        if value.upper() not in PRIORITIES:
            raise RoutingConfigError(f"{where}.priority: expected P1, P2, P3 or P4, got {value!r}")
    return Route(conditions, int(tier), queue.strip())


def _values(value: Any, where: str) -> frozenset[str]:
    values: Sequence[Any] = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise RoutingConfigError(f"{where}: expected a name or a list of names")
    return frozenset(v.strip().lower() for v in values)
