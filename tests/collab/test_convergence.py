"""Real pycrdt clients over real sockets against real server processes."""

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from accounts.services import token_create
from collab.schema import doc_json, scene_new, scenes_of, title_of
from collab.selectors import document_for, document_load
from tests.collab.yclient import settle, yclient
from tests.projects.factories import project_with_team
from tests.servers import AsgiServer
from tests.ws import run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team():
    team = project_with_team()
    team.tokens = {who: token_create(user=team.user(who), name="yjs")[1]
                   for who in ("owner", "editor", "viewer")}
    return team


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


def test_a_burst_of_5000_updates_reaches_every_client_identically(live_server_url, team):
    project_id = team.project.pk

    async def scenario():
        async with yclient(live_server_url, project_id, team.tokens["owner"]) as writer, \
                yclient(live_server_url, project_id, team.tokens["editor"]) as editor, \
                yclient(live_server_url, project_id, team.tokens["viewer"]) as viewer:
            title = title_of(writer)
            for index in range(5000):  # one transaction, one update message each
                title.insert(len(title), f"{index % 10}")
            await settle(writer, editor, viewer, timeout=240)
            return str(title_of(editor)), str(title_of(viewer))

    from_editor, from_viewer = run(scenario())
    expected = "".join(str(i % 10) for i in range(5000))
    assert from_editor == from_viewer == expected
    doc, seq = document_load(document=document_for(project=team.project))
    assert str(title_of(doc)) == expected
    assert 0 < seq <= 5000  # a burst is stored in batches, never more entries than updates


def test_clients_on_two_server_processes_converge(team):
    first, second = AsgiServer.start(), AsgiServer.start()
    project_id = team.project.pk
    try:
        async def scenario():
            async with yclient(first.url, project_id, team.tokens["owner"]) as a, \
                    yclient(second.url, project_id, team.tokens["editor"]) as b, \
                    yclient(second.url, project_id, team.tokens["viewer"]) as c:
                with a.transaction():
                    scenes_of(a).append(scene_new(prompt="from process one"))
                    title_of(a).insert(0, "|")
                await settle(a, b, c)
                for index in range(100):  # both sides type at once
                    title_of(a).insert(0, "a")
                    title_of(b).insert(len(str(title_of(b))), "b")
                    if index % 10 == 0:
                        await asyncio.sleep(0)  # not a wait: yields to the providers, to send while typing
                scenes_of(b)[0]["prompt"].insert(0, "edited on two: ")
                await settle(a, b, c, timeout=60)
                return doc_json(a), doc_json(c)

        seen_by_a, seen_by_c = run(scenario())
    finally:
        first.stop()
        second.stop()
    assert seen_by_a == seen_by_c
    assert seen_by_a["title"] == "a" * 100 + "|" + "b" * 100
    assert seen_by_a["scenes"][0]["prompt"] == "edited on two: from process one"
    doc, _ = document_load(document=document_for(project=team.project))
    assert doc_json(doc) == seen_by_a


def test_killing_the_server_loses_no_broadcast_update(team):
    server = AsgiServer.start()
    project_id = team.project.pk
    try:
        async def before_the_crash():
            witnessed = {}
            try:
                async with yclient(server.url, project_id, team.tokens["owner"]) as writer, \
                        yclient(server.url, project_id, team.tokens["viewer"]) as witness:
                    for index in range(200):
                        title_of(writer).insert(0, chr(ord("a") + index % 26))
                    await settle(writer, witness, timeout=60)  # the witness has every broadcast
                    witnessed = doc_json(witness)
                    server.kill()  # SIGKILL while the clients are still connected
            except* (ConnectionClosed, EOFError):
                pass  # the clients notice the dead server
            return witnessed

        witnessed = run(before_the_crash())
        server = AsgiServer.start()

        async def after_the_restart():
            async with yclient(server.url, project_id, team.tokens["editor"]) as newcomer:
                return doc_json(newcomer)

        assert run(after_the_restart()) == witnessed
        assert len(witnessed["title"]) == 200
    finally:
        server.stop()
