"""Reporting and the closed loop (ISO 45001 5.4, 10.2; ISO 14001 10.2; ISO 9001 8.7, 10.2).

A worker files a report; triagers work on it in its thread; corrective actions are done,
evidenced and verified; the report closes only when the loop is closed. The modules here know
nothing of Slack: ``handlers/`` parse its payloads and call ``service``, and show what the steps announce
(``events``).
"""
from datetime import timedelta

from bot.domain import Domain, Job
from bot.reports import effectiveness, followup, more_time, overdue

DOMAIN = Domain("reports", slack="handlers.reports.listeners", jobs=(
    Job("report-follow-ups", followup.sweep_job, timedelta(minutes=15)),  # untriaged and waiting reports
    Job("action-reminders", overdue.sweep_job, timedelta(minutes=15)),
    Job("more-time-approvals", more_time.sweep_job, timedelta(minutes=15)),
    Job("effectiveness-checks", effectiveness.sweep_job, timedelta(minutes=15)),
    Job("follow-up-purge", followup.purge_job, timedelta(hours=6), sweep=False),
))
