"""Real pycrdt clients over real sockets against real server processes."""

import asyncio

import pytest
from django.db import connections

from accounts.services import token_create
from collab.schema import doc_json, scene_new, scenes_of, title_of
from collab.selectors import document_for, document_load
from tests.collab.yclient import settle, yclient
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team():
    team = project_with_team()
    team.tokens = {who: token_create(user=team.user(who), name="yjs")[1]
                   for who in ("owner", "editor", "viewer")}
    return team


def run(coro):
    try:
        return asyncio.run(coro)
    finally:
        connections.close_all()


def test_two_editors_converge_and_the_log_holds_the_result(live_server_url, team):
    project_id = team.project.pk

    async def scenario():
        async with yclient(live_server_url, project_id, team.tokens["owner"]) as a, \
                yclient(live_server_url, project_id, team.tokens["editor"]) as b:
            with a.transaction():
                title_of(a).insert(0, "Harbour")
                scenes_of(a).append(scene_new(prompt="a lighthouse at dusk"))
            await settle(a, b)
            with b.transaction():
                scenes_of(b)[0]["prompt"].insert(0, "wide shot, ")
            title_of(a).insert(len(str(title_of(a))), " Lights")
            await settle(a, b)
            return doc_json(a)

    final = run(scenario())
    assert final["title"] == "Harbour Lights"
    assert final["scenes"][0]["prompt"] == "wide shot, a lighthouse at dusk"
    doc, seq = document_load(document=document_for(project=team.project))
    assert doc_json(doc) == final and seq >= 3
