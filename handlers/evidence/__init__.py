"""The evidence log in Slack: alerts when the chain breaks or records are back-dated in a burst, and the weekly
head handed to the administrators; and exports: `/triad export` opens the form (listeners.py), the submission is
accepted after its answer, and the file arrives by DM through the outbox (delivery.py makes it when it is
delivered)."""
from handlers.evidence import alerts, delivery, listeners, notices
from handlers.surface import SlackSide

SLACK = SlackSide(
    listeners=listeners.register,
    subcommands=listeners.SUBCOMMANDS,
    help=listeners.HELP,
    notices={**alerts.NOTICES, **notices.NOTICES},
    files={notices.MAKER: delivery.export_file},
)
