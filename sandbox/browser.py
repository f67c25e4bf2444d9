"""A browser that installs Triad: opens the install page, follows its "Add to Slack" link to Slack's approval
(the emulator approves at once), and comes back through the redirect with the state cookie Bolt set.

Bolt marks that cookie Secure; on the sandbox's plain-HTTP loopback a real browser would keep it from the
redirect, so this one sends it back itself, as a browser does over HTTPS."""
from __future__ import annotations

import html
import re
from email.message import Message
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, Request, build_opener

_BUTTON = re.compile(r'<a class="button" href="([^"]+)"')


class _Stay(HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        return None  # each hop is taken by hand, with the cookie


def install(install_url: str, *, language: str = "en") -> str:
    """The page the browser ends on; raises if a page has no link or redirect to follow."""
    headers = {"Accept-Language": "zh-CN,zh;q=0.9" if language == "zh" else "en-GB,en;q=0.9"}
    status, page, answer = _get(install_url, headers)
    link = _BUTTON.search(page)
    if link is None:
        raise RuntimeError(f"the install page has no link to Slack: {page[:200]}")
    cookie = "; ".join(value.split(";")[0] for value in answer.get_all("Set-Cookie") or [])
    status, page, answer = _get(html.unescape(link.group(1)), headers)
    back = answer.get("Location")
    if status != 302 or not back:
        raise RuntimeError(f"Slack did not send the browser back ({status}): {page[:200]}")
    return _get(back, {**headers, "Cookie": cookie})[1]


def _get(url: str, headers: dict[str, str]) -> tuple[int, str, Message]:
    try:
        with build_opener(_Stay).open(Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read().decode("utf-8"), response.headers
    except HTTPError as error:  # a redirect, or a failure page: a page too
        return error.code, error.read().decode("utf-8"), error.headers
