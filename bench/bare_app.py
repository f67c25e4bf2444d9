"""The reference for `make bench`: a bare Bolt app doing what Triad's benchmark journey asks of Slack.

Same server stack as Triad's web process (gunicorn, gthread workers, WEB_CONCURRENCY x WEB_THREADS,
Bolt's WSGI adapter, the app built in each worker) and the same settings (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL, PORT). It acks, answers /triad help over the response_url,
opens a trivial modal for /report, posts a card with an Acknowledge button to the channel on
submission and a thread reply on the press, as Triad does; it keeps no state. Imports nothing of
Triad, so its memory is what Bolt on gunicorn costs.

bench/floor_app.py builds the same app with a ``store``: the least any app that keeps records does.
"""
from __future__ import annotations

import os


def build(store=None):
    """``store`` (optional): ``who(user_id)`` before each ack, ``write(who, words, key)`` after a submission or
    a press."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    app = App(client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
              signing_secret=os.environ["SLACK_SIGNING_SECRET"], token_verification_enabled=False)

    @app.command("/triad")
    def help_command(ack, respond, command):
        if store:
            store.who(command["user_id"])
        ack()
        respond(text="Commands: /report, /actions, /triad me", response_type="ephemeral")

    @app.command("/report")
    def report_command(ack, command, client):
        if store:
            store.who(command["user_id"])
        ack()
        client.views_open(trigger_id=command["trigger_id"], view={
            "type": "modal", "callback_id": "bench_report", "title": {"type": "plain_text", "text": "Report"},
            "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [{"type": "input", "block_id": "description", "label": {"type": "plain_text", "text": "What?"},
                        "element": {"type": "plain_text_input", "action_id": "value"}}]})

    @app.view("bench_report")
    def report_submitted(ack, body, view, client):
        asking = store.who(body["user"]["id"]) if store else None
        ack()
        words = view["state"]["values"]["description"]["value"]["value"]
        if store:
            store.write(asking, words, "view:" + view["id"])
        channel = "C" + body["user"]["id"][1:]  # the channel of the person's department, as bench/load.py sets up
        client.chat_postMessage(channel=channel, text=words, blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": words}},
            {"type": "actions", "block_id": "triage:bench", "elements": [
                {"type": "button", "action_id": "report_acknowledge", "value": "1",
                 "text": {"type": "plain_text", "text": "Acknowledge"}}]}])

    @app.action("report_acknowledge")
    def acknowledged(ack, body, client):
        asking = store.who(body["user"]["id"]) if store else None
        ack()
        if store:
            store.write(asking, "acknowledged", f"press:{body['message']['ts']}:{body['user']['id']}")
        client.chat_postMessage(channel=body["channel"]["id"], thread_ts=body["message"]["ts"], text="Acknowledged")

    slack = SlackRequestHandler(app)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


def serve(build_app, proc_name: str) -> None:
    """``build_app()`` on gunicorn, gthread workers, configured from the environment as Triad's web process is."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"0.0.0.0:{os.environ.get('PORT', '3000')}")
            self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "1")))
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", int(os.environ.get("WEB_THREADS", "8")))
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", "-")
            self.cfg.set("loglevel", "warning")
            self.cfg.set("proc_name", proc_name)
            # Newer gunicorns open a control socket at one path per user: every server on the machine would share it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return build_app()

    Server().run()


if __name__ == "__main__":
    serve(build, "bare-bolt-web")
