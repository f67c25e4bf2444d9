"""The Slack side of the closed loop. Thin: parse the payload, call bot.reports, answer in the person's language.

listeners.py declares it (``SLACK``) for the core (handlers/__init__.py, through bot/domains.py).
"""
