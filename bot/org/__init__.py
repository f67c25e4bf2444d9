"""The organisation: sites, departments, people and their roles, channels, working hours, and its set-up
(in Slack, handlers/setup; or from a file, orgfile.py)."""
from datetime import timedelta

from bot.domain import Domain, Job
from bot.org import waiting

DOMAIN = Domain("org", slack="handlers.setup", jobs=(
    Job("setup-waiting-reports", waiting.sweep_job, timedelta(minutes=30)),  # reports waiting for a channel
))
