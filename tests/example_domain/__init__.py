"""A trivial domain that lives only in its own files, to prove a domain needs nothing more than these and
one line in bot/domains.py: a job (also a sandbox time sweep), a command, a /triad word, a DM reader, an
App Home section and a help line, with its own texts in both languages; its job announces what is due
(bot/events.py), and its Slack side shows it."""
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bot import clock
from bot.domain import Domain, Job
from bot.events import Event, announce
from bot.runtime import Runtime

GREETED = "U0ZHAO"


@dataclass(frozen=True)
class GreetingDue(Event):
    day: date


def greet_daily(runtime: Runtime) -> None:
    with runtime.db.session() as s:
        announce(s, GreetingDue(clock.now().date()))


DOMAIN = Domain("example", slack="tests.example_domain.listeners", prompts=Path(__file__).parent / "prompts",
                jobs=(Job("example-daily", greet_daily, timedelta(hours=24)),))
