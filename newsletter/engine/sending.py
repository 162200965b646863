"""Send a digest to each recipient once, in a copy of their own, recording every step.

Each recipient gets the message in an SMTP transaction of its own, addressed to them
alone. The send log is locked for the whole run; a recipient is marked "sending" before
the transaction and "delivered" after it, so a run stopped at any moment leaves at most
one recipient uncertain, and the next run names them rather than mailing them again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from newsletter.core.addresses import Mailbox, parse_mailbox
from newsletter.core.errors import NewsletterError, Problem
from newsletter.core.words import plural
from newsletter.engine.sendlog import (
    Entry,
    Kind,
    Mark,
    Run,
    SendLog,
    locked_send_log,
    read_send_log,
)
from newsletter.engine.smtp import DEFAULT_RETRY, Retry, Session, Uncertain
from newsletter.render.message import Letter, personal_message
from newsletter.sources.config import SmtpSettings


@dataclass(frozen=True)
class Outgoing:
    """One digest to send: the message, to whom, as what, and when."""

    letter: Letter
    mailboxes: tuple[Mailbox, ...]
    kind: Kind  # "test" for --to: recorded apart, never counts as the real send
    sent_at: datetime
    secret: str | None = None  # for personal unsubscribe links


@dataclass(frozen=True)
class Options:
    """What the command line asked for beyond the defaults."""

    force: bool = False
    resend_uncertain: bool = False
    dry_run: bool = False
    retry: Retry = DEFAULT_RETRY


DEFAULT_OPTIONS = Options()


@dataclass(frozen=True)
class Plan:
    """Who this run sends to, who had it already, and whose copy may or may not be in."""

    outgoing: Outgoing
    pending: tuple[Mailbox, ...]
    already: tuple[Mailbox, ...]
    uncertain: tuple[tuple[Mailbox, str], ...]  # with the start of the run that stopped
    had: int = 0  # how many of the list have it already, in already or (--force) pending
    waiting: Mapping[str, str] = field(default_factory=dict)  # deferred since, by mailbox

    def summary(self) -> list[str]:
        """What is about to go to whom, to show before asking."""
        letter = self.outgoing.letter
        forced = self.had - len(self.already)  # --force sends it to them again
        again = f" ({forced} of them already have it)" if forced else ""
        return [
            f"Period:     {letter.period}",
            f"Subject:    {letter.subject}",
            f"Recipients: {plural(len(self.pending), 'recipient')}{again}",
        ]


@dataclass(frozen=True)
class SendReport:
    """What happened (or would happen) to each recipient."""

    plan: Plan
    sent: tuple[Mailbox, ...]
    refused: tuple[Problem, ...]
    dry_run: bool
    declined: bool = False
    deferred: tuple[tuple[Mailbox, str], ...] = ()  # with the server's last reply

    def lines(self) -> list[str]:
        """Say what happened to each recipient, then sum it up."""
        if self.dry_run:
            lines = [self._waited("would send to", m) for m in self.plan.pending]
        else:
            lines = [self._waited("sent to", m) for m in self.sent]
        lines += [f"already sent to {m.address} (--force sends again)" for m in self.plan.already]
        lines += [_uncertain(mailbox, started) for mailbox, started in self.plan.uncertain]
        lines += [str(problem) for problem in self.refused]
        lines += [self._deferred(mailbox, reply) for mailbox, reply in self.deferred]
        return [*lines, self._summary()]

    def _waited(self, verb: str, mailbox: Mailbox) -> str:
        since = self.plan.waiting.get(mailbox.key)
        return f"{verb} {mailbox.address}" + (f" (deferred since {_when(since)})" if since else "")

    def _deferred(self, mailbox: Mailbox, reply: str) -> str:
        since = self.plan.waiting.get(mailbox.key) or self.plan.outgoing.sent_at.isoformat()
        return f"deferred: {mailbox.address}: {reply}; waiting since {_when(since)}"

    def _declined(self, what: str) -> str:
        """Nothing sent, and who has it already from an earlier run (--force)."""
        if not self.plan.had:
            return f"Not sent: nothing was sent now; nobody has {what} yet."
        had = plural(self.plan.had, "recipient")
        return f"Not sent: nothing was sent now; {had} had {what} already."

    def _summary(self) -> str:
        period = what = self.plan.outgoing.letter.period
        if self.plan.outgoing.kind == "test":
            what = f"a test of {what}"
        if self.declined:
            return self._declined(what)
        if self.dry_run:
            count = plural(len(self.plan.pending), "recipient")
            return f"Dry run: {what} would go to {count}; nothing was sent."
        sent = f"Sent {what} to {plural(len(self.sent), 'recipient')}"
        if not self.deferred:
            return sent + "."
        deferred = plural(len(self.deferred), "recipient")
        return f"{sent}; {deferred} deferred: run `newsletter send {period}` later to retry."


Confirm = Callable[[Plan], bool]


def send_outgoing(
    outgoing: Outgoing,
    smtp: SmtpSettings,
    password: bytes,
    log_path: Path,
    confirm: Confirm,
    options: Options = DEFAULT_OPTIONS,
) -> SendReport:
    """Send OUTGOING to each recipient it has not reached, once CONFIRM agrees.

    A dry run reads the log and writes nothing; a real run locks the log first.
    """
    if not outgoing.mailboxes:
        raise NewsletterError("no recipients: set email.to in newsletter.yaml or pass --to")
    if not _envelope(outgoing.letter):
        period = outgoing.letter.period
        raise NewsletterError(f"the {period} email has no From address; check email.from")
    if options.dry_run:
        with read_send_log(log_path) as view:
            return SendReport(_plan(view, outgoing, options), (), (), True)
    letter = outgoing.letter
    run = Run(letter.period, outgoing.kind, outgoing.sent_at.isoformat(), os.getpid(), _host())
    with locked_send_log(log_path, run) as log:
        if outgoing.kind == "real":
            _refuse_unfinished(log, letter.period)
        plan = _plan(log, outgoing, options)
        if not plan.pending:
            log.queue(letter.period, outgoing.kind, ())  # nobody is left waiting
            return SendReport(plan, (), (), False)
        if not confirm(plan):
            return SendReport(plan, (), (), False, declined=True)
        with Session(smtp, password, options.retry) as session:
            log.queue(letter.period, outgoing.kind, plan.pending)
            sent, refused, deferred = _send_each(session, plan, log)
    return SendReport(plan, sent, refused, False, deferred=deferred)


def _plan(log: SendLog | None, outgoing: Outgoing, options: Options) -> Plan:
    """Sort the recipients by what the log knows of them; a test sends to all."""
    period, kind = outgoing.letter.period, outgoing.kind
    entries: dict[str, Entry] = {}
    if log is not None and kind == "real":
        entries = log.entries(period, kind)
    pending, already, uncertain, had = [], [], [], 0
    for mailbox in outgoing.mailboxes:
        entry = entries.get(mailbox.key) or Entry(mailbox.address, "queued", "")
        had += entry.state == "delivered"
        if options.force or entry.state not in ("delivered", "sending"):
            pending.append(mailbox)
        elif entry.state == "delivered":
            already.append(mailbox)
        elif options.resend_uncertain:
            pending.append(mailbox)
        else:
            uncertain.append((mailbox, entry.run_started))
    waiting = {key: entry.deferred_since for key, entry in entries.items() if entry.deferred_since}
    return Plan(outgoing, tuple(pending), tuple(already), tuple(uncertain), had, waiting)


def _refuse_unfinished(log: SendLog, period: str) -> None:
    """Refuse to start a period while an earlier send has recipients still waiting."""
    for other, count in log.unfinished().items():
        if other != period:
            raise NewsletterError(f"{_unfinished(other, count)}, then send {period}")


def refuse_unfinished_sends(log_path: Path, quiet: str) -> None:
    """Where a period is QUIET (nothing to send), say so if another send is unfinished."""
    with read_send_log(log_path) as log:
        for other, count in (log.unfinished() if log else {}).items():
            raise NewsletterError(f"no news in {quiet}, but {_unfinished(other, count)}")


def _unfinished(period: str, count: int) -> str:
    waiting = f"{plural(count, 'recipient')} {'has' if count == 1 else 'have'} not got it yet"
    return (
        f"the send of {period} is unfinished ({waiting}); "
        f"finish it first with `newsletter send {period}`"
    )


Outcome = tuple[tuple[Mailbox, ...], tuple[Problem, ...], tuple[tuple[Mailbox, str], ...]]


def _send_each(session: Session, plan: Plan, log: SendLog) -> Outcome:
    """Send to each pending recipient: those delivered, refused for good, and deferred."""
    outgoing = plan.outgoing
    letter, kind, test = outgoing.letter, outgoing.kind, outgoing.kind == "test"
    sent: list[Mailbox] = []
    refused: list[Problem] = []
    deferred: list[tuple[Mailbox, str]] = []
    done: list[Mark] = []  # recorded with the next recipient's start: one write, not two
    for mailbox in plan.pending:
        data = personal_message(letter, mailbox, outgoing.sent_at, outgoing.secret, test=test)
        message_id = _message_id(data)
        _record(log, plan, [*done, (mailbox, "sending", message_id)], len(sent))
        try:
            reply = session.deliver(_envelope(letter), mailbox.address, data)
        except NewsletterError as exc:
            if not isinstance(exc, Uncertain):  # known not to have gone out
                log.mark(letter.period, kind, [(mailbox, "queued", message_id)])
            more = f"reached {len(sent)} of {len(plan.pending)}; run send again to reach the rest"
            problem = exc.problems[0]
            note = f"{problem.message}; {more}"
            raise NewsletterError([Problem(problem.path, 0, "", note)]) from None
        done = [(mailbox, "delivered" if reply is None else "refused", message_id)]
        if reply is None:
            sent.append(mailbox)
        elif not reply.temporary:
            refused.append(Problem(mailbox.address, 0, "", reply.reply))
        else:  # its mailbox is full, or its server busy: the others go on
            since = plan.waiting.get(mailbox.key) or outgoing.sent_at.isoformat()
            _defer(log, plan, (mailbox, "deferred", message_id), since, reply.reply, len(sent))
            deferred.append((mailbox, reply.reply))
            done = []
    _record(log, plan, done, len(sent))
    return tuple(sent), tuple(refused), tuple(deferred)


def _record(log: SendLog, plan: Plan, marks: list[Mark], reached: int) -> None:
    """Write MARKS to the log, or stop the run, saying how far it got."""
    try:
        log.mark(plan.outgoing.letter.period, plan.outgoing.kind, marks)
    except NewsletterError as exc:
        _stop(exc, plan, reached)


def _defer(log: SendLog, plan: Plan, mark: Mark, since: str, reply: str, reached: int) -> None:
    """Write down a deferred recipient, or stop the run, saying how far it got."""
    try:
        log.defer(plan.outgoing.letter.period, plan.outgoing.kind, mark, since, reply)
    except NewsletterError as exc:
        _stop(exc, plan, reached)


def _stop(exc: NewsletterError, plan: Plan, reached: int) -> NoReturn:
    """Stop the run on a log that cannot be written, saying how far it got."""
    problem = exc.problems[0]
    note = f"{problem.message}; stopped after {reached} of {len(plan.pending)}"
    raise NewsletterError([Problem(problem.path, 0, "", note)]) from None


def _envelope(letter: Letter) -> str:
    """The envelope sender: the address in From, or nothing."""
    try:
        return parse_mailbox(letter.sender).address
    except ValueError:
        return ""


def _message_id(data: bytes) -> str:
    start = data.find(b"\nMessage-ID: ") + len(b"\nMessage-ID: ")
    return data[start : data.find(b"\r\n", start)].decode("ascii")


def _when(moment: str) -> str:
    """An ISO moment from the log, to the minute, in the site's time zone."""
    return f"{datetime.fromisoformat(moment):%Y-%m-%d %H:%M}"


def _uncertain(mailbox: Mailbox, started: str) -> str:
    return (
        f"uncertain: {mailbox.address}: the run started {started} stopped while sending to "
        "it, so it may or may not have it; --resend-uncertain sends to it again"
    )


def _host() -> str:
    return socket.gethostname()
