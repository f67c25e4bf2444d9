"""Which bot serves a team once Triad is installed, and which organisation each workspace is: an Enterprise
Grid org installed org-wide serves each of its workspaces as an organisation of its own."""
from __future__ import annotations

from pathlib import Path

import yaml
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import select

from bot import workspaces
from bot.installs import SCOPES, Installs
from storage.models import Organisation

CLIENT = "1000.2000"


def installation(team_id: str | None, *, enterprise_id: str | None = None, token: str = "xoxb-1") -> Installation:
    return Installation(app_id="A1", enterprise_id=enterprise_id, team_id=team_id, team_name=team_id, user_id="U1",
                        bot_token=token, bot_id="B1", bot_user_id="UBOT", bot_scopes=list(SCOPES),
                        is_enterprise_install=team_id is None)


def test_a_team_install_binds_the_organisation_nobody_has_yet_and_later_teams_get_their_own(db):
    with db.session() as s:
        s.add(Organisation(name="Plant loaded from its file"))
    installs = Installs(db, CLIENT)
    installs.store.save(installation("T1"))
    first = installs.installed(installation("T1"))
    installs.store.save(installation("T2", token="xoxb-2"))
    second = installs.installed(installation("T2", token="xoxb-2"))
    with db.read() as s:
        named = dict(s.execute(select(Organisation.id, Organisation.name)).all())
    assert named[first] == "Plant loaded from its file" and named[second] == "T2"
    assert (installs.token_for(first), installs.token_for(second)) == ("xoxb-1", "xoxb-2")


def test_an_org_wide_install_serves_each_workspace_of_the_org_as_its_own_organisation(db):
    installs = Installs(db, CLIENT)
    installs.store.save(installation(None, enterprise_id="E1", token="xoxb-grid"))
    assert installs.installed(installation(None, enterprise_id="E1")) is None  # no workspace yet
    for team in ("T1", "T2"):
        bot = installs.bot("E1", team)
        assert bot is not None and bot.bot_token == "xoxb-grid"
    assert installs.bot("E2", "T9") is None and installs.bot(None, "T1") is None
    one = workspaces.serving_team(db, "T1", enterprise_id="E1", installed=True)
    two = workspaces.serving_team(db, "T2", enterprise_id="E1", installed=True)
    assert one is not None and two is not None and one != two
    assert workspaces.serving_team(db, "T1", enterprise_id="E1", installed=True) == one
    assert installs.token_for(one) == installs.token_for(two) == "xoxb-grid"
    with db.read() as s:
        assert s.scalars(select(Organisation.enterprise_id)).all() == ["E1", "E1"]


def test_uninstalling_forgets_the_token_and_stops_the_workspaces_jobs(db):
    installs = Installs(db, CLIENT)
    installs.store.save(installation("T1"))
    workspace = installs.installed(installation("T1"))
    assert workspace is not None and workspaces.all_workspaces(db) == [workspace]
    installs.uninstalled(None, "T1", bot_only=False)
    workspaces.uninstalled(db, workspace)
    assert installs.bot(None, "T1") is None and installs.token_for(workspace) is None
    assert workspaces.all_workspaces(db) == []


def test_the_scopes_asked_at_install_are_the_manifests():
    manifest = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())
    assert sorted(SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
