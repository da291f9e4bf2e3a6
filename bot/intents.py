"""Names of the intents the built-in handlers understand (see nlu/data)."""

GREET = "greet"
GOODBYE = "goodbye"
THANKS = "thanks"
HELP = "help"
BOT_CHALLENGE = "bot_challenge"
ASK_HOWTO = "ask_howto"
REPORT_PROBLEM = "report_problem"
REQUEST_HUMAN = "request_human"
TICKET_STATUS = "ticket_status"
AFFIRM = "affirm"
DENY = "deny"
OUT_OF_SCOPE = "out_of_scope"

SMALL_TALK_INTENTS = frozenset({GREET, GOODBYE, THANKS, HELP, BOT_CHALLENGE, AFFIRM, DENY})
ALL_INTENTS = frozenset(
    {*SMALL_TALK_INTENTS, ASK_HOWTO, REPORT_PROBLEM, REQUEST_HUMAN, TICKET_STATUS, OUT_OF_SCOPE}
)

# Buttons the bot offers, and the intent a click on each one means.
CHOICE_INTENTS = {"yes": AFFIRM, "no": DENY, "human": REQUEST_HUMAN}
# A button naming one of several close articles: its id is the prefix + the article id.
# Only ever a click, never trained: not in ALL_INTENTS.
CHOOSE_ARTICLE = "choose_article"
ARTICLE_CHOICE_PREFIX = "article:"
# A button of the handoff's questions (impact, urgency, send / change / cancel): the
# prefix + what it means, e.g. "handoff:impact:high". Only ever a click, never trained.
HANDOFF_ANSWER = "handoff_answer"
HANDOFF_CHOICE_PREFIX = "handoff:"
# A button answering a guided-fix check or collect step: the prefix + the answer's
# position in the step, e.g. "fix:1". Only ever a click, never trained.
FIX_ANSWER = "fix_answer"
FIX_CHOICE_PREFIX = "fix:"
