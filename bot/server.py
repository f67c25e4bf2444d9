"""Serving Slack: one WSGI app with Slack's endpoint and a health check, under gunicorn in production; Socket Mode.

Tests and the sandbox serve the very same WSGI app on loopback from a thread.
"""
from __future__ import annotations

import contextvars
import json
import logging
import threading
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:  # the gunicorn master imports this module for run_gunicorn: it must not load Bolt
    from slack_bolt import App

    from bot.runtime import Runtime

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"


def wsgi_app(runtime: Runtime, app: App):
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from bot.app import signing_secret
    from bot.guard import guard

    slack = guard(SlackRequestHandler(app, path=SLACK_PATH), signing_secret(runtime.settings), SLACK_PATH)

    def application(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = runtime.db.ping()
            body = json.dumps({"status": "ok" if healthy else "database unreachable"}).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        # Each request in a context of its own, on the runtime's clock: the workspace the middleware serves ends
        # with it, and Bolt's listener threads copy both (bot/app.py ListenerPool).
        return contextvars.copy_context().run(runtime.clock.run, slack, environ, start_response)

    return application


def socket_mode_handler(runtime: Runtime, app: App, app_token: str | None):
    """Socket Mode: each message in a context of its own on the runtime's clock, as ``wsgi_app`` serves each HTTP
    request (slack_sdk's threads start with an empty context)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    class OnTheRuntimesClock(SocketModeHandler):
        def handle(self, client, req) -> None:
            contextvars.copy_context().run(runtime.clock.run, super().handle, client, req)

    # The connection is opened with a Web API call too: it must go to SLACK_API_URL like every other.
    web_client = WebClient(base_url=runtime.gateway.client.base_url)
    return OnTheRuntimesClock(app, app_token, web_client=web_client)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the sandbox's console stays readable
        log.debug("%s %s", self.address_string(), format % args)


class LoopbackServer:
    """The WSGI app on 127.0.0.1 in a background thread (tests, sandbox)."""

    def __init__(self, application, port: int = 0) -> None:
        self.httpd = make_server("127.0.0.1", port, application, server_class=_ThreadingWSGIServer,
                                 handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="loopback-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def start(self) -> LoopbackServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_gunicorn(settings, build_application, worker_exit=None) -> None:
    """Production: gunicorn with threads; the app is built in each worker after the fork."""
    from gunicorn.app.base import BaseApplication

    class TriadServer(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            self.cfg.set("workers", settings.web_concurrency)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", settings.web_threads)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", "-")
            self.cfg.set("loglevel", settings.log_level.lower())
            self.cfg.set("proc_name", "triad-web")
            # Newer gunicorns open a control socket at one path per user: every server on the machine would share it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)
            if worker_exit is not None:
                self.cfg.set("worker_exit", worker_exit)

        def load(self):
            return build_application()

    TriadServer().run()
