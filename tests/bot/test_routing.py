"""Priority from impact x urgency, and tier and queue from the configured routes."""

from __future__ import annotations

import pytest

from bot.routing import RoutingConfigError, parse_routing

ROUTES = {
    "priority": {"low": {"high": "P2"}},
    "default_queue": "helpdesk",
    "routes": [
        {"priority": ["P1", "P2"], "tier": 2, "queue": "incidents"},
        {"category": "installation", "product": ["tier0", "agent"], "queue": "setup"},
        {"intent": "report_problem", "category": "troubleshooting", "tier": 2, "queue": "t2"},
    ],
}


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", "P1"),
        ("high", "medium", "P2"),
        ("high", "low", "P3"),
        ("medium", "high", "P2"),
        ("medium", "medium", "P3"),
        ("medium", "low", "P4"),
        ("low", "high", "P2"),  # configured; ITIL's default would be P3
        ("low", "medium", "P4"),
        ("low", "low", "P4"),
    ],
)
def test_priority_matrix(impact: str, urgency: str, priority: str) -> None:
    assert parse_routing(ROUTES).priority(impact, urgency) == priority


def test_the_first_matching_route_wins_and_the_default_catches_the_rest() -> None:
    routing = parse_routing(ROUTES)
    assert routing.route(priority="P1", category="installation") == (2, "incidents")
    assert routing.route(priority="P3", category="Installation", product="Agent") == (1, "setup")
    assert routing.route(priority="P3", category="installation", product="other") == (
        1,
        "helpdesk",
    )
    assert routing.route(priority="P3", category="troubleshooting", intent="report_problem") == (
        2,
        "t2",
    )
    assert routing.route(priority="P4") == (1, "helpdesk")
    assert parse_routing(None).route(priority="P1") == (2, "incidents")
    assert parse_routing(None).route(priority="P2") == (1, "general")
    assert parse_routing({"routes": []}).route(priority="P1") == (1, "general")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"priority": {"huge": {}}}, "tickets.priority.huge: impact must be one of"),
        ({"priority": {"high": {"now": "P1"}}}, "tickets.priority.high.now: urgency must be"),
        ({"priority": {"high": {"high": "P0"}}}, "expected P1, P2, P3 or P4, got 'P0'"),
        ({"routes": [{"queue": "x"}]}, "tickets.routes[1]: no condition"),
        (
            {"routes": [{"category": "faq", "tier": 4}]},
            "tickets.routes[1].tier: expected 1, 2 or 3",
        ),
        ({"routes": [{"category": "faq", "team": "x"}]}, "tickets.routes[1]: unknown key(s) team"),
        ({"routes": [{"priority": "urgent"}]}, "tickets.routes[1].priority: expected P1"),
        ({"routes": [{"category": []}]}, "tickets.routes[1].category: expected a name"),
        ({"routes": {"category": "faq"}}, "tickets.routes: expected a list of tables"),
        ({"queues": []}, "tickets: unknown key(s) queues"),
    ],
)
def test_configuration_mistakes_name_their_place(config: dict[str, object], message: str) -> None:
    with pytest.raises(RoutingConfigError) as raised:
        parse_routing(config)
    assert message in str(raised.value)
