"""The guided-fix format: steps, checks that branch, collect steps, outcomes.

A guided fix is the `## Guided fix` section of an article; every `### heading` in it
is a step, in order. A step is one of four kinds, told apart by control lines that
read as plain sentences on the article page (docs/kb-authoring.md):

- an **action** (no control line): instructions, then "Did that fix it?"; yes ends
  the fix resolved, no goes to `Then:` or the next step;
- a **check**: `Ask: question` followed by answers `- label → target`;
- a **collect** step: `Collect: name` with an optional `Format:` or `Pattern:` the
  answer must match, an optional `Ask:` and answers, and `Then:`;
- an **outcome**: `Outcome: resolved` or `Outcome: escalate tier 2 P2`, ending the fix.

A target is `#step-id`, `next`, `resolved` or `escalate [tier N] [Pn]`. Parsing never
raises: a problem is recorded with its line, `tier0 kb lint` reports it, and a fix
with problems is not run (the article is still answered).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

ACTION, CHECK, COLLECT, OUTCOME = "action", "check", "collect", "outcome"
STEP, NEXT, RESOLVED, ESCALATE = "step", "next", "resolved", "escalate"
STEP_ID = re.compile(r"^(?P<title>.*?)\s*\{#(?P<id>[^}\s]*)\}\s*$")
VALID_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CONTROL = re.compile(
    r"^(?P<key>ask|collect|format|pattern|then|outcome)\s*:\s*(?P<value>.*)$", re.IGNORECASE
)
ANSWER = re.compile(r"^\s*[-*+]\s+(?P<item>.+?)\s*$")
ARROW = re.compile(r"\s*(?:→|->|=>)\s*")


class BodyLine(Protocol):
    """What the fix parser needs of a scanned article line (`articles.Line`)."""

    number: int
    raw: str
    in_code: bool


@dataclass(frozen=True)
class Target:
    """Where an answer leads: another step, the next one, or the end of the fix."""

    kind: str  # step | next | resolved | escalate
    step_id: str | None = None
    tier: int | None = None
    priority: str | None = None

    def __str__(self) -> str:
        if self.kind == STEP:
            return f"#{self.step_id}"
        extra = [f"tier {self.tier}"] if self.tier else []
        extra += [self.priority] if self.priority else []
        return " ".join([self.kind, *extra])


@dataclass(frozen=True)
class Branch:
    label: str
    target: Target
    line: int


@dataclass(frozen=True)
class FixProblem:
    line: int
    message: str
    severity: str = "error"  # error (the fix is not run) | warning


@dataclass(frozen=True)
class Step:
    """One guided-fix step. `body` is the Markdown shown, without the control lines."""

    title: str
    body: str
    line: int
    id: str = ""
    kind: str = ACTION
    question: str | None = None  # the Ask: line
    branches: tuple[Branch, ...] = ()
    collect: str | None = None  # the name the answer is stored under (an entity type)
    format: str | None = None
    pattern: str | None = None
    then: Target | None = None  # where an action's "no" or a collect's answer goes
    outcome: Target | None = None  # resolved or escalate, for an outcome step

    def targets(self) -> list[Target]:
        """Every place this step can lead, the implicit ones included."""
        found = [b.target for b in self.branches]
        if self.kind == ACTION:
            found += [Target(RESOLVED), self.then or Target(NEXT)]
        elif self.kind == COLLECT and not self.branches:
            found.append(self.then or Target(NEXT))
        elif self.kind == OUTCOME and self.outcome is not None:
            found.append(self.outcome)
        return found


@dataclass(frozen=True)
class GuidedFix:
    steps: tuple[Step, ...]
    line: int
    problems: tuple[FixProblem, ...] = field(default=(), compare=False)

    @property
    def runnable(self) -> bool:
        return bool(self.steps) and not any(p.severity == "error" for p in self.problems)

    def index_of(self, step_id: str) -> int | None:
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)

    def resolve(self, index: int, target: Target) -> int | None:
        """The step index a target leads to from step `index`; None for the end of the fix."""
        if target.kind == STEP and target.step_id is not None:
            return self.index_of(target.step_id)
        if target.kind == NEXT:
            return index + 1 if index + 1 < len(self.steps) else None
        return None


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "step"


def parse_target(text: str) -> Target | str:
    """A target, or the reason the text is not one (quoting the text as written)."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w and w.lower() not in ("to", "at")]
    if not words:
        return "an answer needs a target after the arrow"
    head = words[0]
    if head.startswith("#"):
        if len(words) > 1 or not VALID_ID.match(head[1:]):
            return f"'{text}' is not a step id (write '#step-id')"
        return Target(STEP, step_id=head[1:])
    kind = head.lower()
    if kind in (NEXT, RESOLVED) and len(words) == 1:
        return Target(kind)
    if kind != ESCALATE:
        return f"unknown target '{text}' (use '#step-id', next, resolved or escalate)"
    return _escalation(text, " ".join(words[1:]))


def _escalation(text: str, rest: str) -> Target | str:
    """`escalate` with an optional "tier N" (1-3) and priority (P1-P4), each once."""
    tiers = re.findall(r"(?i)\btier\s*(\d+)\b", rest)
    priorities = re.findall(r"(?i)\bp(\d+)\b", rest)
    leftover = re.sub(r"(?i)\btier\s*\d+\b|\bp\d+\b", " ", rest).split()
    if leftover:
        return f"'{text}': escalate takes 'tier 1'-'tier 3' and a priority P1-P4"
    if len(tiers) > 1 or len(priorities) > 1:
        return f"'{text}': give the tier and the priority once each"
    if tiers and not 1 <= int(tiers[0]) <= 3:
        return f"'{text}': the tier is 1, 2 or 3"
    if priorities and not 1 <= int(priorities[0]) <= 4:
        return f"'{text}': the priority is P1, P2, P3 or P4"
    return Target(
        ESCALATE,
        tier=int(tiers[0]) if tiers else None,
        priority=f"P{priorities[0]}" if priorities else None,
    )


@dataclass
class _StepDraft:
    """A step being read: its control lines, answers and problems."""

    heading: str
    line: int
    body: list[str] = field(default_factory=list)
    controls: dict[str, tuple[str, int]] = field(default_factory=dict)
    answers: list[tuple[str, int]] = field(default_factory=list)
    problems: list[FixProblem] = field(default_factory=list)

    def flag(self, line: int, message: str) -> None:
        self.problems.append(FixProblem(line, message))

    def line_of(self, key: str) -> int:
        return self.controls[key][1] if key in self.controls else self.line


def _read_lines(draft: _StepDraft, lines: Sequence[BodyLine]) -> None:
    in_answers = False
    for line in lines:
        control = None if line.in_code else CONTROL.match(line.raw.strip())
        if control:
            key = control["key"].lower()
            if key in draft.controls:
                draft.problems.append(FixProblem(line.number, f"'{key.title()}:' given twice"))
            draft.controls[key] = (control["value"].strip(), line.number)
            in_answers = key in ("ask", "collect", "format", "pattern")
            continue
        answer = None if line.in_code else ANSWER.match(line.raw)
        if in_answers and answer:
            draft.answers.append((answer["item"], line.number))
            continue
        if answer and _looks_like_answer(answer["item"]):
            draft.flag(
                line.number,
                f"'{answer['item']}' looks like an answer, but answers go right under "
                "the step's 'Ask:' or 'Collect:' line",
            )
        if line.raw.strip():
            in_answers = False
        draft.body.append(line.raw)


def _looks_like_answer(item: str) -> bool:
    """A list item of the form "label → #step" (not "Help → Check for updates")."""
    parts = ARROW.split(item, maxsplit=1)
    return len(parts) == 2 and isinstance(parse_target(parts[1]), Target)


def _branches(draft: _StepDraft) -> tuple[Branch, ...]:
    branches: list[Branch] = []
    seen: set[str] = set()
    for item, number in draft.answers:
        parts = ARROW.split(item, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip():
            draft.problems.append(
                FixProblem(number, f"answer '{item}' has no target (write '- {item} → #step-id')")
            )
            continue
        label, target = parts[0].strip(), parse_target(parts[1])
        if isinstance(target, str):
            draft.problems.append(FixProblem(number, target))
            continue
        if label.casefold() in seen:
            draft.problems.append(FixProblem(number, f"answer '{label}' is listed twice"))
        seen.add(label.casefold())
        branches.append(Branch(label, target, number))
    return tuple(branches)


def _control_target(draft: _StepDraft, key: str) -> Target | None:
    if key not in draft.controls:
        return None
    value, number = draft.controls[key]
    target = parse_target(value)
    if isinstance(target, str):
        if key == "outcome":
            target = f"'Outcome:' takes resolved or escalate [tier N] [Pn], got '{value}'"
        elif key == "then" and not value.lstrip().startswith("#"):
            target += " (a line starting 'Then:' is a control line: reword it if it is prose)"
        draft.problems.append(FixProblem(number, target))
        return None
    return target


def _kind(draft: _StepDraft) -> str:
    controls = draft.controls
    if "outcome" in controls:
        for key in ("ask", "collect", "then"):
            if key in controls:
                message = f"an outcome step ends the fix: remove '{key.title()}:'"
                draft.problems.append(FixProblem(controls[key][1], message))
        return OUTCOME
    if "collect" in controls:
        return COLLECT
    if "ask" in controls:
        if "then" in controls:
            draft.flag(draft.line_of("then"), "a check's answers choose the next step, not 'Then:'")
        return CHECK
    for key in ("format", "pattern"):
        if key in controls:
            draft.problems.append(FixProblem(controls[key][1], f"'{key}:' needs a 'Collect:' line"))
    return ACTION


def _validate_collect(draft: _StepDraft, formats: Iterable[str]) -> None:
    name, number = draft.controls["collect"]
    if not ENTITY_NAME.match(name):
        draft.problems.append(
            FixProblem(number, f"'Collect: {name}' needs a name like version or error_code")
        )
    if "format" in draft.controls:
        value, line = draft.controls["format"]
        known = sorted(formats)
        if value.lower() not in known:
            draft.problems.append(
                FixProblem(line, f"unknown format '{value}' (one of {', '.join(known)})")
            )
    if "pattern" in draft.controls:
        value, line = draft.controls["pattern"]
        try:
            re.compile(value)
        except re.error as error:
            draft.flag(line, f"pattern is not a valid regular expression: {error}")
    if draft.answers and "then" in draft.controls:
        line = draft.controls["then"][1]
        draft.problems.append(FixProblem(line, "answers choose the next step: 'Then:' is not used"))


def build_step(
    heading: str, line: int, lines: Sequence[BodyLine], formats: Iterable[str]
) -> tuple[Step, list[FixProblem]]:
    """One step from its heading and body lines, with the problems found in it."""
    formats = tuple(formats)
    draft = _StepDraft(heading, line)
    _read_lines(draft, lines)
    match = STEP_ID.match(heading)
    title, step_id = (match["title"], match["id"]) if match else (heading, slug(heading))
    if match and not VALID_ID.match(step_id):
        draft.flag(line, f"step id '#{step_id}' must be lowercase letters, digits, - or _")
    kind = _kind(draft)
    branches = _branches(draft) if kind in (CHECK, COLLECT) else ()
    if kind == CHECK and len(draft.answers) < 2:
        draft.flag(draft.line_of("ask"), "a check needs at least two answers ('- label → target')")
    if kind == COLLECT:
        _validate_collect(draft, formats)
    outcome = _control_target(draft, "outcome") if kind == OUTCOME else None
    if kind == OUTCOME and outcome is not None and outcome.kind not in (RESOLVED, ESCALATE):
        draft.problems.append(
            FixProblem(draft.controls["outcome"][1], "an outcome is 'resolved' or 'escalate ...'")
        )
    if kind == OUTCOME and not draft.controls["outcome"][0]:
        draft.flag(draft.line_of("outcome"), "'Outcome:' needs resolved or escalate")
    value = lambda key: draft.controls[key][0] if key in draft.controls else None  # noqa: E731
    step = Step(
        title=title.strip(),
        body="\n".join(draft.body).strip(),
        line=line,
        id=step_id,
        kind=kind,
        question=value("ask") or None,
        branches=branches,
        collect=value("collect") if kind == COLLECT else None,
        format=(value("format") or "").lower() or None,
        pattern=value("pattern"),
        then=_control_target(draft, "then") if kind in (ACTION, COLLECT) else None,
        outcome=outcome,
    )
    if kind == ACTION and not step.body:
        draft.flag(line, f"guided-fix step '{step.title}' has no instructions")
    return step, draft.problems
