"""The Slack side of controlled procedures. Thin: parse the payload, call bot.procedures, answer in the person's
language. listeners.py declares it (``SLACK``) for the core (handlers/__init__.py, through bot/domains.py)."""
