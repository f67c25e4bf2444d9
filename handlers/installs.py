"""Installing Triad into workspaces: Bolt's OAuth flow with our pages, the authorize that finds each team's bot,
and the events that say the app was uninstalled or its token revoked.

The pages are shown in a browser, in the language it prefers (English or Simplified Chinese).
"""
from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot import workspaces
from bot.i18n import Reader, plain
from bot.installs import SCOPES, Installs, authorize_url
from bot.runtime import Runtime
from storage.workspaces import being_served

log = logging.getLogger(__name__)


class InstalledBots(Authorize):
    """Bolt's authorize for installs: the team's bot from the store, with no auth.test on the request path
    (Bolt's own asks Slack on every request; Triad stored the bot's ids when it was installed)."""

    def __init__(self, installs: Installs) -> None:
        self.installs = installs

    def __call__(self, *, context: BoltContext, enterprise_id: str | None, team_id: str | None,
                 user_id: str | None, **_: Any) -> AuthorizeResult | None:
        bot = self.installs.bot(enterprise_id, team_id)
        if bot is None:
            log.warning("a request of team %s (org %s), where Triad is not installed, was refused", team_id,
                        enterprise_id)
            return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                               bot_token=bot.bot_token, bot_id=bot.bot_id, bot_user_id=bot.bot_user_id,
                               bot_scopes=bot.bot_scopes)


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow (state in the database, the install stored by the store) with Triad's own pages."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        reader = browser_reader(request.headers)
        return page(reader, plain(reader, "install.title"), plain(reader, "install.intro"),
                    plain(reader, "install.admin_note"), link=(url, plain(reader, "install.button")))


def install_flow(runtime: Runtime, client: WebClient) -> InstallFlow:
    settings, installs = runtime.settings, runtime.installs
    assert installs is not None and settings.client_id and settings.client_secret

    def installed(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        workspace = installs.installed(installation)
        log.info("Triad was installed in team %s (org %s): workspace %s", installation.team_id,
                 installation.enterprise_id, workspace)
        reader = browser_reader(args.request.headers)
        team = installation.team_name or installation.enterprise_name or installation.team_id or ""
        opening = f"slack://app?team={installation.team_id or ''}&id={installation.app_id or ''}"
        return _html(200, page(reader, plain(reader, "install.done_title"), plain(reader, "install.done", team=team),
                               link=(opening, plain(reader, "install.open_slack"))))

    def failed(args: FailureArgs) -> BoltResponse:
        log.warning("an install failed: %s", args.reason)
        reader = browser_reader(args.request.headers)
        return _html(args.suggested_status_code, page(
            reader, plain(reader, "install.failed_title"), plain(reader, "install.failed", reason=args.reason),
            link=(args.settings.install_path, plain(reader, "install.start_again"))))

    oauth = OAuthSettings(
        client_id=settings.client_id, client_secret=settings.client_secret, scopes=list(SCOPES),
        redirect_uri=settings.redirect_uri, installation_store=installs.store, installation_store_bot_only=True,
        state_store=installs.states, authorization_url=authorize_url(runtime.gateway.base_url),
        callback_options=CallbackOptions(success=installed, failure=failed), logger=log)
    return InstallFlow(client=client, settings=oauth, logger=log)


def register(app: App, runtime: Runtime) -> None:
    """``app_uninstalled`` and ``tokens_revoked``: the workspace's tokens leave the store and nothing more is sent
    there (the outbox keeps what it owes, for a reinstall). With one bot token, the same marks it uninstalled."""

    def gone(context: BoltContext, *, bot_only: bool) -> None:
        if runtime.installs is not None:
            runtime.installs.uninstalled(context.enterprise_id, context.team_id, bot_only=bot_only)
        workspace = being_served()
        if workspace is not None:
            workspaces.uninstalled(runtime.db, workspace)
            log.warning("Triad was uninstalled from team %s (workspace %s): nothing more is sent there",
                        context.team_id, workspace)

    @app.event("app_uninstalled")
    def app_uninstalled(context: BoltContext) -> None:
        gone(context, bot_only=False)

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict, context: BoltContext) -> None:
        if (event.get("tokens") or {}).get("bot"):  # user tokens: Triad asks for none
            gone(context, bot_only=True)


def browser_reader(headers: dict[str, Any]) -> Reader:
    """The browser's preferred language among English and Chinese (Accept-Language, first choice first)."""
    values = headers.get("accept-language") or [""]
    first = (values[0] if isinstance(values, list | tuple) else str(values)).split(",")[0].strip().lower()
    return Reader(lang="zh" if first.startswith("zh") else "en")


def page(reader: Reader, title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    """A small, self-contained page: the texts escaped, one link as a button."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if link is not None:
        body += f'<p><a class="button" href="{html.escape(link[0], quote=True)}">{html.escape(link[1])}</a></p>'
    return (f'<!DOCTYPE html><html lang="{"zh-Hans" if reader.lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1d1c1d}"
            "h1{color:#1d5c4d}.button{display:inline-block;background:#1d5c4d;color:#fff;padding:.6em 1.2em;"
            "border-radius:6px;text-decoration:none}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _html(status: int, body: str) -> BoltResponse:
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
