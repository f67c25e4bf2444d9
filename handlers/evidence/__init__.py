"""The evidence log in Slack: alerts when the chain breaks or records are back-dated in a burst, and the weekly
head handed to the administrators."""
from handlers.evidence import alerts
from handlers.surface import SlackSide

SLACK = SlackSide(notices=alerts.NOTICES)
