"""The closed loop's Slack side, as the core registers it: its listeners, DM reader, App Home sections, help, and
how what happens to reports is shown."""
from slack_bolt import App

from bot.runtime import Runtime
from handlers.reports import actions, commands, events, home, notices, nudges, shortcuts, views
from handlers.surface import CommandGroup, SlackSide


def register(app: App, runtime: Runtime) -> None:
    for surface in (commands, actions, views, shortcuts):
        surface.register(app, runtime)


SLACK = SlackSide(
    listeners=register,
    any_direct_message=events.report_from_dm,  # any words may be a report: the draft card asks the kind
    home_waiting=(home.waiting, home.waiting_for_decision),
    home_buttons=(home.buttons,),
    help=(CommandGroup("reports.help.heading", ("reports.help.report", "reports.help.report_kind",
                                                "reports.help.status", "reports.help.mine", "reports.help.follow",
                                                "reports.help.actions", "reports.help.dm"), first=True),),
    notices={**notices.NOTICES, **nudges.NOTICES},
)
