"""A local fake of the Slack Web API, for the test-suite and the interactive sandbox.

``SlackEmulator`` serves the Web API methods Triad uses on 127.0.0.1 (random port) so that the
real ``slack_sdk.WebClient`` -- and therefore the real Bolt app -- can be driven end to end
without Slack: pass ``WebClient(base_url=emulator.api_url, token=emulator.bot_token)``.

It behaves like Slack where Triad's correctness depends on it: every answer is HTTP 200 with
``{"ok": ...}``; posting to a user id lands in that user's DM; threads, edits, ephemerals,
modal stacks (3 views deep), single-use trigger ids that expire after 3 s, view hashes,
``response_url`` semantics and the three-step file upload. Payloads are checked against the
Block Kit limits (``bot.blockkit``) and refused as Slack would refuse them.

Tests and the sandbox observe what the app did through ``calls``, ``messages()``,
``open_modal()`` and friends, wait for asynchronous work with ``wait_for()``, get told of visible
changes through ``subscribe()``, and inject failures (HTTP 500/503/429, timeouts, connection
resets, Slack errors, slow answers, or "stored the message and still answered an error") with
``fail()`` to exercise retries.

Given ``limits`` (``bot.slack_limits``, time-scaled if wished) it enforces Slack's rate limits
as Slack does: chat.postMessage per channel with a short burst, every method per its tier, and
HTTP 429 with Retry-After when a caller goes faster.

It hosts one workspace, or several with ``add_team`` or through an OAuth install (members and
channels then belong to a team, and each team's bot token sees its own team only).

All state lives in memory behind one lock; the HTTP server runs in daemon threads. One module
per Slack API family, each a part of ``SlackEmulator`` over the shared ``Workspace`` (state.py):

  chat.py           chat.*: messages, threads, edits, ephemerals
  conversations.py  auth.test, users.*, conversations.*
  reactions.py      reactions.*
  files.py          files.*, the upload URL and url_private
  views.py          views.*: modals, trigger ids, App Home
  responses.py      response_url
  oauth.py          installing: the approval page, oauth.v2.access, uninstalling
  faults.py         failures on demand and Slack's rate limits
  events.py         calls received, events to subscribers, waiting
  records.py        the records kept; wire.py requests and replies; blocks.py ids in Block Kit
  server.py         HTTP on loopback; emulator.py puts the parts together and routes requests
"""

from sandbox.emulator.blocks import interactive_elements
from sandbox.emulator.emulator import SlackEmulator
from sandbox.emulator.files import DOWNLOAD_METHOD, UPLOAD_METHOD
from sandbox.emulator.records import PERMALINK_HOST, ApiCall, EmulatorError, EmulatorEvent, EventKind, Team
from sandbox.emulator.responses import RESPONSE_URL_METHOD

__all__ = [
    "ApiCall",
    "DOWNLOAD_METHOD",
    "EmulatorError",
    "EmulatorEvent",
    "EventKind",
    "PERMALINK_HOST",
    "RESPONSE_URL_METHOD",
    "SlackEmulator",
    "Team",
    "UPLOAD_METHOD",
    "interactive_elements",
]
