"""Which answer of a guided-fix step the user gave: a click, or words.

Clicks are checked against the label the user saw, not only the button's position:
an article edited since the buttons were shown must not turn "Yes" into "No".
Typed answers match a label exactly, by its number in the list, by yes/no for
answers that start so, or by the content words they share with exactly one label
("I see connection refused" → "Connection refused or timeout").
"""

from __future__ import annotations

import re

from bot.intents import AFFIRM, DENY
from bot.kb.fixes import Branch, Step
from nlu.types import Parse

# Words that say nothing about which answer was meant: "it", "or", "says", "still".
STOPWORDS = frozenset(
    {
        *("a", "an", "the", "or", "and", "of", "to", "in", "on", "at", "for", "is", "it"),
        *("its", "it's", "i", "i'm", "im", "my", "me", "we", "our", "you", "your", "this"),
        *("that", "these", "those", "be", "was", "were", "am", "are", "do", "does", "did"),
        *("with", "as", "by", "from", "says", "said", "see", "seen", "shows", "show"),
        *("get", "got", "still", "just"),
    }
)


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.casefold().replace("\u2019", "'"))


def content(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOPWORDS}


def picked_branch(parse: Parse, step: Step) -> Branch | None:
    """The answer clicked (if still the one shown) or typed, or None."""
    clicked = parse.entity("fix")
    if clicked is not None:
        position = int(clicked) if clicked.isdigit() else -1
        if 0 <= position < len(step.branches) and step.branches[position].label == parse.text:
            return step.branches[position]
        # The article changed since the buttons were shown: go by the label alone.
        return next((b for b in step.branches if b.label == parse.text), None)
    return match_branch(parse.text, parse.intent, step.branches)


UNSURE = re.compile(
    r"(?i)\b(i )?(don'?t|do not) know\b|\bnot sure\b|\bno idea\b|\bnone of (these|them)\b|"
    r"^\W*(other|something else|neither|none)\W*$"
)
CATCH_ALL = frozenset({"other", "something else", "none of these", "anything else", "not sure"})


def catch_all(branches: tuple[Branch, ...]) -> Branch | None:
    return next((b for b in branches if b.label.casefold() in CATCH_ALL), None)


def match_branch(text: str, intent: str | None, branches: tuple[Branch, ...]) -> Branch | None:
    if UNSURE.search(text) and catch_all(branches) is not None:
        return catch_all(branches)  # "I don't know" at a question with "Something else"
    said = words(text)
    number = re.fullmatch(r"\s*(\d+)[.)]?\s*", text)
    if number and 1 <= int(number.group(1)) <= len(branches):
        return branches[int(number.group(1)) - 1]
    exact = [b for b in branches if words(b.label) == said]
    if exact:
        return exact[0]
    for polar, start in ((AFFIRM, "yes"), (DENY, "no")):
        found = [b for b in branches if words(b.label)[:1] == [start]]
        if intent == polar and len(found) == 1:
            return found[0]
    shared = [(len(content(text) & content(b.label)), b) for b in branches]
    best = max((count for count, _ in shared), default=0)
    winners = [b for count, b in shared if count == best]
    return winners[0] if best > 0 and len(winners) == 1 else None
