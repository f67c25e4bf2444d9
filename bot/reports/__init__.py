"""Reporting and the closed loop (ISO 45001 5.4, 10.2; ISO 14001 10.2; ISO 9001 8.7, 10.2).

A worker files a report; triagers work on it in its thread; corrective actions are done,
evidenced and verified; the report closes only when the loop is closed. The modules here know
nothing of Slack's payloads: ``handlers/`` parse them and call ``service``.
"""
