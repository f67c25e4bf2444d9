"""The local Slack beside Triad: how a newcomer meets it, and what the end-to-end tests stand on.

``emulator/`` is Slack's Web API on loopback (one module per API family), ``driver.py`` sends the signed
requests Slack would send, ``harness.py`` runs the whole app between the two, and the console
(``console.py`` and the modules it uses) lets a person try it in the terminal: ``python -m bot`` with no
Slack tokens. Nothing in bot/, handlers/ or storage/ imports this package but that one command.
"""
