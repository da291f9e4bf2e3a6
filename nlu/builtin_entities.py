"""The support-domain entities found in every message, whatever the training data says:
`ticket_number`, `email`, `error_code`, `version` and `os`.

Each is a `Rule`: a pattern, the group that is the entity's span, and a function from
the match to a normalised value (or None to reject the match: "2.5 GB" is not a
version). Rules are built by a function rather than kept in module state.

Values: ticket numbers as digits ("#007" → "7"); emails lower-cased; error codes as
written, with hex digits and symbolic names upper-cased ("0x8007000e" → "0x8007000E",
"err_timed_out" → "ERR_TIMED_OUT") and HTTP statuses as the number ("a 401" → "401");
versions without a leading "v"; operating systems as their family: "windows",
"macos" or "linux" (a distribution is a Linux for our purposes: the install steps and
KB articles split that way).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Normalise = Callable[[re.Match[str]], str | None]

# Words that make a following 4xx/5xx number an HTTP status ("getting a 401 from teams").
HTTP_BEFORE = (
    r"https?|status|error|code|got|get|gets|getting|returns?|returned|returning|"
    r"throws?|threw|with|an?|giving|gives|gave|says"
)
HTTP_AFTER = (
    r"errors?|unauthori[sz]ed|forbidden|not\s+found|bad\s+request|bad\s+gateway|"
    r"internal\s+server\s+error|service\s+unavailable|gateway\s+time-?out|too\s+many\s+requests"
)
ERRNO_NAMES = (
    "EACCES|EPERM|ENOENT|ECONNREFUSED|ECONNRESET|ECONNABORTED|EADDRINUSE|ETIMEDOUT|"
    "EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|EMFILE|ENOSPC|EEXIST|EISDIR|EAGAIN|EROFS|EBUSY"
)
UNIT_AFTER = r"\s?(?:[kmgt]i?b|[mg]hz|%|ms|s|secs?|seconds?|minutes?|hours?|x|mins?)(?!\w)"
OS_FAMILIES = {
    "windows": r"windows(?:\s*(?:server\s*)?(?:xp|vista|7|8\.1|8|10|11|20\d\d))?|"
    r"win\s?(?:7|8\.1|8|10|11)|win(?:32|64)",
    "macos": r"mac\s?os(?:\s*x)?|os\s?x|macbook(?:\s*(?:pro|air))?|imac|"
    r"mac(?!\s*(?:address|addr)\b)|sonoma|ventura|monterey|big\s+sur|sequoia",
    "linux": r"linux|ubuntu|debian|fedora|centos|rhel|red\s?hat|opensuse|suse|"
    r"alpine\s+linux|arch\s+linux|rocky\s+linux|almalinux|raspbian|raspberry\s+pi\s+os",
}


@dataclass(frozen=True)
class Rule:
    """Matches of `pattern` are entities of type `entity`: `group` is the span,
    `normalise(match)` the value."""

    entity: str
    pattern: re.Pattern[str]
    normalise: Normalise
    group: int | str = 0


def builtin_rules() -> tuple[Rule, ...]:
    """All built-in rules, in priority order for equally long overlapping matches."""
    return (
        *_ticket_rules(),
        *_email_rules(),
        *_error_code_rules(),
        *_version_rules(),
        *_os_rules(),
    )


def _rx(pattern: str, *, ignore_case: bool = True) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def _ticket_rules() -> tuple[Rule, ...]:
    number = r"(?P<id>#?(?P<n>\d{1,9}))(?!\w)"
    return (
        Rule(
            "ticket_number",
            _rx(r"(?<!\w)(?:ticket|case|incident)s?\s*(?:number|no\.?|nr\.?|id)?\s*:?\s*" + number),
            _digits,
            "id",
        ),
        Rule("ticket_number", _rx(r"(?<![\w&#])#(?P<n>\d{1,9})(?!\w)"), _digits),
        Rule("ticket_number", _rx(r"(?<![\w-])t-(?P<n>\d{1,9})(?!\w)"), _digits),
    )


def _email_rules() -> tuple[Rule, ...]:
    pattern = r"(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![\w-])"
    return (Rule("email", _rx(pattern), _lower),)


def _error_code_rules() -> tuple[Rule, ...]:
    return (
        Rule("error_code", _rx(r"(?<!\w)0x[0-9a-f]{4,16}(?!\w)"), _hex),
        Rule(
            "error_code",
            _rx(
                r"(?<![\w:])(?:net::)?(?:err|error|e|ssl_error|dns_probe|status|sec_e|wsae)"
                r"_[a-z0-9]+(?:_[a-z0-9]+)*(?!\w)"
            ),
            _upper,
        ),
        Rule("error_code", _rx(rf"(?<!\w)(?:{ERRNO_NAMES})(?!\w)", ignore_case=False), _written),
        Rule(
            "error_code",
            _rx(r"(?<![\w-])[A-Z]{1,4}-?\d{3,6}(?![\w-])", ignore_case=False),
            _written,
        ),
        Rule(
            "error_code",
            _rx(r"(?<!\w)[A-Z][A-Za-z]+(?:Error|Exception)(?!\w)", ignore_case=False),
            _written,
        ),
        Rule(
            "error_code",
            _rx(rf"(?<!\w)(?:{HTTP_BEFORE})\s+(?:code\s+|status\s+)?(?P<id>[45]\d\d)(?![\w.])"),
            _group,
            "id",
        ),
        Rule(
            "error_code", _rx(rf"(?<![\w.])(?P<id>[45]\d\d)\s+(?:{HTTP_AFTER})(?!\w)"), _group, "id"
        ),
        Rule(
            "error_code",
            _rx(r"(?<!\w)error(?:\s+code)?\s*[:#]?\s*(?P<id>-?\d{2,10})(?![\w.])"),
            _group,
            "id",
        ),
    )


def _version_rules() -> tuple[Rule, ...]:
    dotted = r"v?\d{1,4}(?:\.\d{1,4}){1,2}(?:-?(?:rc|alpha|beta|dev|a|b)\.?\d*)?"
    return (
        Rule("version", _rx(rf"(?<![\w.$€£])(?P<id>{dotted})(?!\.?\d)(?!\w)"), _version, "id"),
        Rule("version", _rx(r"(?<!\w)version\s*(?P<id>v?\d{1,4})(?![\w.])"), _version, "id"),
        Rule("version", _rx(r"(?<!\w)(?P<id>v\d{1,4})(?![\w.])"), _version, "id"),
    )


def _os_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule("os", _rx(rf"(?<![\w.-])(?:{pattern})(?![\w-])"), _constant(family))
        for family, pattern in OS_FAMILIES.items()
    )


def _version(match: re.Match[str]) -> str | None:
    """The version without its `v`; None for quantities such as "2.5 GB" or "1.5x"."""
    if re.match(UNIT_AFTER, match.string[match.end("id") :], re.IGNORECASE):
        return None
    return match.group("id").lower().removeprefix("v")


def _constant(value: str) -> Normalise:
    return lambda _match: value


def _digits(match: re.Match[str]) -> str:
    return str(int(match.group("n")))  # "#007" is ticket 7


def _hex(match: re.Match[str]) -> str:
    return "0x" + match.group(0)[2:].upper()


def _group(match: re.Match[str]) -> str:
    return match.group("id")


def _written(match: re.Match[str]) -> str:
    return match.group(0)


def _upper(match: re.Match[str]) -> str:
    return match.group(0).upper()


def _lower(match: re.Match[str]) -> str:
    return match.group(0).lower()
