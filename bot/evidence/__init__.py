"""The evidence log (ISO 9001/14001/45001 7.5.3: retained documented information protected from unintended
alteration): every state change, sealed into a hash chain per workspace, verified, its head published, back-dated
bursts flagged, and exports an auditor can check against the chain."""
from datetime import timedelta

from bot.domain import Domain, Job
from bot.evidence import backdating, heads, watch

DOMAIN = Domain("evidence", slack="handlers.evidence", jobs=(
    Job("evidence-verify", watch.verify_job, timedelta(hours=6)),
    Job("evidence-heads", heads.publish_job, timedelta(days=1)),
    Job("backdating-bursts", backdating.sweep_job, timedelta(hours=1)),
))
