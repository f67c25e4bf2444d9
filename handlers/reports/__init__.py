"""Slack listeners of the closed loop. Thin: parse the payload, call bot.reports, answer in the person's language.

Each submodule's ``register`` is called from the matching handlers module (commands, actions, ...).
"""
import bot.reports.contributions  # noqa: F401  App Home, help
import bot.reports.effectiveness  # noqa: F401  effectiveness-check job and sandbox sweep
import bot.reports.followup  # noqa: F401  untriaged / waiting reports: reminder job and sandbox sweep
import bot.reports.more_time  # noqa: F401  more-time approvals: reminder job and sandbox sweep
import bot.reports.overdue  # noqa: F401  reminder job and sandbox sweep
