"""Whether a document link answers. Asked before publishing, never inside a transaction (it is a network call).

A plant whose documents sit on an intranet Triad cannot reach turns it off (``TRIAD_CHECK_LINKS=off``); the
sandbox does, its demo documents living nowhere.
"""
from __future__ import annotations

import urllib.error
import urllib.request

from bot.org.rules import Problem
from bot.procedures.rules import problem

TIMEOUT = 4.0  # seconds: a publish is answered after its ack, but nobody should wait long


def unreachable(url: str | None, *, enabled: bool = True) -> Problem | None:
    """None when the link answers (or is not checked); else what is wrong with it, to show the person."""
    if not url or not enabled:
        return None
    for method in ("HEAD", "GET"):  # some servers refuse HEAD
        request = urllib.request.Request(url, method=method, headers={"User-Agent": "Triad link check"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310 - http(s) only (rules.URL)
                if answer.status < 400:
                    return None
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return problem("url_unreachable", url=url[:100], why=str(getattr(exc, "reason", exc))[:100])
        return problem("url_status", url=url[:100], status=status)
    return problem("url_status", url=url[:100], status=status)
