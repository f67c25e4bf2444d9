"""Controlled procedures (ISO 9001/14001/45001 7.5 documented information, 7.3 awareness): a register of
versioned procedures, kept in Slack or in a file; each version in force reaches the people it applies to, who read
it, answer its check and attest, and the acknowledgment is evidence. Joiners, moves, major revisions and renewals
owe it again; reminders climb to the supervisor and the system owner; coverage shows who is missing.
"""
from datetime import timedelta

from bot.domain import Domain, Job
from bot.procedures import reminders, review

DOMAIN = Domain("procedures", slack="handlers.procedures.listeners", jobs=(
    Job("procedure-reminders", reminders.sweep_job, timedelta(minutes=15)),  # renewals, joiners, reminders
    Job("procedure-reviews", review.sweep_job, timedelta(hours=1)),
))
