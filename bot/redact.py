"""Redact obvious personal data and secrets before text is stored in a transcript.

Transcripts are read by agents and exported to helpdesks; a password or card number
pasted into a chat must not live on there. Error codes, versions and ticket numbers
are left alone: they are what an agent needs.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|api[_ -]?key|token|passphrase)(\s*(?:is|:|=)\s*)(\S+)"
)
_KNOWN_TOKENS = re.compile(
    r"\b(?:xox[abposr]-[\w-]{10,}|xapp-[\w-]{10,}|gh[pousr]_\w{20,}|AKIA[0-9A-Z]{16}"
    r"|eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}|sk-[\w-]{20,})"
)
_BEARER = re.compile(r"(?i)\bbearer\s+[\w.~+/-]{16,}=*")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w.])\+\d[\d ()-]{7,}\d\b")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card number]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def redact(text: str) -> str:
    text = _KNOWN_TOKENS.sub("[secret]", text)
    text = _BEARER.sub("Bearer [secret]", text)
    text = _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}[secret]", text)
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub("[phone]", text)
