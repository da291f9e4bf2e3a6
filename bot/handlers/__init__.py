"""Built-in handlers, registered through the same registry a custom handler would use."""

from bot.handlers.agent_active import AgentActiveHandler
from bot.handlers.base import HandlerRegistry
from bot.handlers.common import fallback
from bot.handlers.feedback import FeedbackHandler
from bot.handlers.guided_fix import GuidedFixHandler
from bot.handlers.handoff import HandoffHandler
from bot.handlers.kb_answer import KbAnswerHandler
from bot.handlers.small_talk import SmallTalkHandler
from bot.handlers.ticket_status import TicketStatusHandler


class FallbackHandler:
    handle = staticmethod(fallback)


def default_handlers() -> HandlerRegistry:
    registry = HandlerRegistry()
    registry.register("kb_answer", KbAnswerHandler())
    registry.register("guided_fix", GuidedFixHandler())
    registry.register("feedback", FeedbackHandler())
    registry.register("handoff", HandoffHandler())
    registry.register("ticket_status", TicketStatusHandler())
    registry.register("small_talk", SmallTalkHandler())
    registry.register("fallback", FallbackHandler())
    registry.register("agent_active", AgentActiveHandler())
    return registry
