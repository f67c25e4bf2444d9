"""The evidence log (ISO 9001/14001/45001 7.5.3: retained documented information protected from unintended
alteration): every state change, sealed into a hash chain per workspace, verified, its head published, back-dated
bursts flagged, and exports an auditor can check against the chain."""

from bot.domain import Domain

DOMAIN = Domain("evidence", slack="handlers.evidence.listeners")
