"""The guided-fix graph checks: unknown targets, duplicate ids, unreachable steps, and
loops without an exit (steps from which no answer ever ends the fix).

Kept apart from the parser (`bot.kb.fixes`): these need every step, and read the
steps' targets, never the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.kb.fixes import ACTION, NEXT, STEP, FixProblem, Step, Target


def graph_problems(steps: Sequence[Step]) -> list[FixProblem]:
    """Unknown targets, duplicate ids, unreachable steps and loops without an exit."""
    problems: list[FixProblem] = []
    first_line: dict[str, int] = {}
    for step in steps:
        if step.id in first_line:
            message = f"step id '#{step.id}' is also used on line {first_line[step.id]}"
            problems.append(FixProblem(step.line, message))
        first_line.setdefault(step.id, step.line)
    index = {s.id: i for i, s in reversed(list(enumerate(steps)))}
    edges: list[list[int | None]] = []
    for i, step in enumerate(steps):
        out: list[int | None] = []
        for branch_line, target in _targets_with_lines(step):
            if target.kind == STEP and target.step_id not in index:
                known = ", ".join(f"#{s.id}" for s in steps)
                problems.append(
                    FixProblem(branch_line, f"unknown step '#{target.step_id}' (steps: {known})")
                )
                continue
            if target.kind == STEP:
                out.append(index[target.step_id or ""])
            elif target.kind == NEXT:
                out.append(i + 1 if i + 1 < len(steps) else None)
            else:
                out.append(None)  # the end of the fix: resolved, escalated or exhausted
        edges.append(out)
    problems += _unreachable(steps, edges) + _trapped(steps, edges)
    if not problems:
        problems += _no_way_out_but_yes(steps, edges)
    return problems


def _targets_with_lines(step: Step) -> list[tuple[int, Target]]:
    found = [(b.line, b.target) for b in step.branches]
    found += [(step.line, t) for t in step.targets()[len(step.branches) :]]
    return found


def _unreachable(steps: Sequence[Step], edges: list[list[int | None]]) -> list[FixProblem]:
    seen, pending = {0}, [0]
    while pending:
        for target in edges[pending.pop()]:
            if target is not None and target not in seen:
                seen.add(target)
                pending.append(target)
    return [
        FixProblem(step.line, f"step '{step.title}' cannot be reached from the first step")
        for i, step in enumerate(steps)
        if i not in seen
    ]


def _ending(edges: list[list[int | None]]) -> set[int]:
    """The steps from which some answers end the fix."""
    exits = {i for i, out in enumerate(edges) if None in out}
    changed = True
    while changed:
        changed = False
        for i, out in enumerate(edges):
            if i not in exits and any(t in exits for t in out):
                exits.add(i)
                changed = True
    return exits


def _trapped(steps: Sequence[Step], edges: list[list[int | None]]) -> list[FixProblem]:
    """Steps from which no answer ever ends the fix: a loop without an exit."""
    exits = _ending(edges)
    trapped = [i for i in range(len(steps)) if i not in exits]
    if not trapped:
        return []
    names = ", ".join(f"'{steps[i].title}'" for i in trapped)
    return [FixProblem(steps[trapped[0]].line, f"steps {names} loop without an exit")]


def _no_way_out_but_yes(steps: Sequence[Step], edges: list[list[int | None]]) -> list[FixProblem]:
    """Steps a user whose problem persists can never leave: every "no" leads back
    round (an action's `Then:` to an earlier step, say), so only "yes, it's fixed"
    ends the fix and the offer of a ticket never comes. A warning: it runs."""
    without_yes = [
        out[1:] if step.kind == ACTION else out for step, out in zip(steps, edges, strict=True)
    ]
    exits = _ending(without_yes)
    stuck = [i for i in range(len(steps)) if i not in exits]
    if not stuck:
        return []
    names = ", ".join(f"'{steps[i].title}'" for i in stuck)
    message = (
        f"answering 'no' goes round {names} for ever: give one a way out "
        "(a later step, an escalate outcome, or 'Then: next' on the last)"
    )
    return [FixProblem(steps[stuck[0]].line, message, "warning")]
