"""The register in Slack, for system owners and administrators: create, edit a draft, publish, revise, retire.

(Being built: ``open_register`` opens the register's modal; ``register`` adds its listeners.)"""
from __future__ import annotations

from slack_bolt import App

from bot.org.people import Actor
from bot.runtime import Runtime


def register(app: App, runtime: Runtime) -> None:
    return None


def open_register(runtime: Runtime, actor: Actor, trigger_id: str) -> None:
    return None
