"""The agent console at /agent: queues by tier ordered by SLA, a ticket with its
transcript, steps tried and articles shown, and the agent's acts — reply, change
status, priority or tier, take the conversation over and hand it back.

A reply goes through `bot.ticket_updates.agent_reply`, into the user's conversation:
the widget shows it on its next poll, chat connectors push it to Slack or Teams.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from bot.store import Transaction
from bot.store.models import TicketEventRow
from bot.takeover import takeover_status
from bot.ticket_queue import queue_item, queue_items, recently_closed, time_left
from bot.ticket_updates import (
    PRIORITIES,
    InvalidStatus,
    TicketNotFound,
    agent_reply,
    hand_back,
    take_over,
    update_ticket,
)
from bot.tickets import TICKET_STATUSES
from connectors.web.auth import assistant, done_messages, require, signed_in_user
from connectors.web.render import render_markdown

agent = Blueprint("agent", __name__, url_prefix="/agent")
QUEUE_ROWS = 200  # the most urgent tickets a queue page lists; the count says how many more
DONE = {
    "replied": "Reply sent: the user sees it in their chat.",
    "updated": "Ticket updated.",
    "taken": "You have the conversation: the assistant stays quiet until you hand it back.",
    "returned": "Handed back: the assistant answers the user again.",
    "no_ticket": "There is no ticket with that number.",
}


@agent.get("")
@agent.get("/")
@require("tickets")
def queues() -> Response | str:
    wanted = request.args.get("ticket", "").strip().lstrip("#")
    if wanted:  # "Go to ticket": straight to it, or the queue with a message
        if wanted.isdigit() and len(wanted) < 12 and assistant().engine.ticket(int(wanted)):
            return redirect(url_for("agent.ticket", ticket_id=int(wanted)))
        return redirect(url_for("agent.queues", done="no_ticket"))
    tier_arg = request.args.get("tier", "")
    tier = int(tier_arg) if tier_arg in ("1", "2", "3") else None
    closed = request.args.get("view") == "closed"
    now, sla = datetime.now(UTC), assistant().settings.sla
    if closed:
        items = recently_closed(assistant().store, sla, now)
    else:
        items = queue_items(assistant().store, sla, now, tier=tier)
    return render_template(
        "agent/queues.html",
        items=items[:QUEUE_ROWS],
        total=len(items),
        closed=closed,
        tier=tier,
        now=now,
        time_left=time_left,
        messages=done_messages(DONE),
    )


def _ticket_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        abort(404)
    return int(value)


@agent.get("/tickets/<ticket_id>")
@require("tickets")
def ticket(ticket_id: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    number = _ticket_id(ticket_id)
    found = assistant().engine.ticket(number)
    if found is None:
        abort(404)
    now = datetime.now(UTC)
    item = queue_item(found, assistant().settings.sla, now)
    transcript = []
    if found.conversation_id is not None:
        transcript = assistant().engine.conversation(found.conversation_id).messages
    with assistant().store.transaction() as tx:
        status_of_takeover = takeover_status(tx, number)
        events = tx.ticket_events(number)
    holder = None
    if status_of_takeover is not None and status_of_takeover.taken_over:
        holder = status_of_takeover.agent or "an agent"
    page = render_template(
        "agent/ticket.html",
        ticket=found,
        item=item,
        events=events,
        describe_event=describe_event,
        transcript=transcript,
        holder=holder,
        statuses=TICKET_STATUSES,
        priorities=PRIORITIES,
        now=now,
        time_left=time_left,
        error=error,
        messages=[] if error else done_messages(DONE),
    )
    return page, status


def _update(tx: Transaction, number: int, now: datetime, name: str) -> None:
    tier = request.form.get("tier", "")
    update_ticket(
        tx,
        number,
        now,
        status=request.form.get("status") or None,
        priority=request.form.get("priority") or None,
        tier=int(tier) if tier in ("1", "2", "3") else None,
    )


def _reply(tx: Transaction, number: int, now: datetime, name: str) -> None:
    agent_reply(tx, number, request.form.get("text", ""), now, name)


# The agent's acts by URL: /agent/tickets/<id>/<act> → (what it does, the message code).
ACTS: dict[str, tuple[Callable[[Transaction, int, datetime, str], object], str]] = {
    "reply": (_reply, "replied"),
    "update": (_update, "updated"),
    "takeover": (lambda tx, number, now, name: take_over(tx, number, name, now), "taken"),
    "handback": (lambda tx, number, now, name: hand_back(tx, number, name, now), "returned"),
}


@agent.post("/tickets/<ticket_id>/<act>")
@require("tickets")
def act(ticket_id: str, act: str) -> Response | tuple[str, int]:
    if act not in ACTS:
        abort(404)
    number = _ticket_id(ticket_id)
    operation, done = ACTS[act]
    try:
        with assistant().store.transaction() as tx:
            operation(tx, number, datetime.now(UTC), signed_in_user().name)
    except TicketNotFound:
        abort(404)
    except (InvalidStatus, ValueError) as failure:
        return ticket(ticket_id, error=str(failure), status=422)
    return redirect(url_for("agent.ticket", ticket_id=number, done=done))


@agent.get("/tickets/<ticket_id>/transcript")
@require("tickets")
def transcript(ticket_id: str) -> Response:
    """The conversation's lines after `?after=SEQ`, as HTML for the ticket page,
    which asks every few seconds: the agent sees the user typing on, live."""
    found = assistant().engine.ticket(_ticket_id(ticket_id))
    if found is None or found.conversation_id is None:
        abort(404)
    after = request.args.get("after", "0")
    seq = int(after) if after.isdigit() and len(after) < 10 else 0
    lines = assistant().engine.conversation(found.conversation_id, seq).messages
    html = render_template("agent/_lines.html", transcript=lines)
    return jsonify(html=html, after=lines[-1]["seq"] if lines else seq)


@agent.app_template_filter("chat_markdown")
def chat_markdown(text: str) -> Markup:
    """A bot's or agent's message as the user saw it: Markdown, sanitised."""
    return render_markdown(current_app.extensions["tier0.markdown"], text, None)


def describe_event(event: TicketEventRow) -> str:
    """One line of a ticket's history, as an agent reads it."""
    data = event.data or {}
    who = data.get("agent") or data.get("by") or event.actor
    if event.kind == "status" and "from" not in data:
        return f"opened as {event.status} ({who})"
    if event.kind == "status":
        return f"status {data['from']} → {event.status} ({who})"
    if event.kind == "change":
        return f"{data.get('field')} {data.get('from')} → {data.get('to')} ({who})"
    if event.kind == "reply":
        return f"reply by {who}"
    if event.kind == "takeover":
        return f"taken over by {who}"
    if event.kind == "handback":
        reason = str(data.get("reason", "handed_back")).replace("_", " ")
        return f"back to the assistant ({reason}, {who})"
    if event.kind == "user_message":
        return "the user wrote during the takeover"
    return f"{event.kind} ({who})"
