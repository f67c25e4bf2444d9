"""Procedures' Slack side, as the core registers it: /procedures, the DM card and its reading form, the register,
coverage, Home, help, and how what happens to procedures is shown."""
from slack_bolt import App

from bot.procedures import permissions
from bot.runtime import Runtime
from handlers.procedures import actions, commands, coverage, home, notices
from handlers.procedures import register as register_surface
from handlers.surface import CommandGroup, SlackSide


def register(app: App, runtime: Runtime) -> None:
    commands.register_command(app, runtime)
    actions.register_actions(app, runtime)
    register_surface.register(app, runtime)


SLACK = SlackSide(
    listeners=register,
    home_waiting=(home.waiting,),
    home_buttons=(home.buttons,),
    help=(CommandGroup("procedures.help.heading", ("procedures.help.mine", "procedures.help.one"), first=True),
          CommandGroup("procedures.help.heading", ("procedures.help.coverage", "procedures.help.register"),
                       visible=lambda actor: permissions.may_see_coverage(actor) or permissions.may_create(actor),
                       first=True)),
    notices=notices.NOTICES,
    files={coverage.MAKER: coverage.coverage_file},
)
