"""Exports from Slack: `/triad export` opens the form, the submission is accepted after its answer, and the file
arrives by DM through the outbox (delivery.py makes it when it is delivered)."""
