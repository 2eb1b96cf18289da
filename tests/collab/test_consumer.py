"""The storyboard websocket through the whole ASGI stack, message by message."""

import json

import pytest
from channels.testing import WebsocketCommunicator
from pycrdt import YMessageType, YSyncMessageType

from accounts.services import token_create
from collab.consumers import CLOSE_FORBIDDEN, CLOSE_PROTOCOL
from collab.models import Contribution, StoryboardUpdate
from collab.presence import presence_user
from collab.protocol import AwarenessEntry, awareness_message, awareness_parse, message_parse, sync_message
from collab.schema import doc_json, doc_new, scene_new, scenes_of, title_of
from collab.selectors import document_for, document_load
from core.asgi import application
from tests.projects.factories import project_with_team
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5


@pytest.fixture
def team():
    team = project_with_team()
    # Session cookies are made before any event loop runs (the test client is sync).
    team.h = {who: headers(team.user(who)) for who in ("owner", "editor", "viewer")}
    return team


def socket(project_id: int, header_list: list) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/storyboard",
                                 headers=header_list)


async def joined(communicator: WebsocketCommunicator) -> bytes:
    """Connect and read the server's greeting (step 1 + step 2); return the step-2 update."""
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    step1 = message_parse(await communicator.receive_from(timeout=TIMEOUT))
    step2 = message_parse(await communicator.receive_from(timeout=TIMEOUT))
    assert (step1.kind, step1.sync_kind) == (YMessageType.SYNC, YSyncMessageType.SYNC_STEP1)
    assert (step2.kind, step2.sync_kind) == (YMessageType.SYNC, YSyncMessageType.SYNC_STEP2)
    return step2.payload


def an_edit(text: str = "Harbour") -> bytes:
    doc = doc_new()
    with doc.transaction():
        title_of(doc).insert(0, text)
        scenes_of(doc).append(scene_new(prompt="gulls over the pier"))
    return doc.get_update()


def update_message(update: bytes) -> bytes:
    return sync_message(YSyncMessageType.SYNC_UPDATE, update)


def closed_with(project_id: int, header_list: list) -> int | None:
    async def scenario():
        communicator = socket(project_id, header_list)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected  # accepted so that the close code reaches browsers
        message = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()  # let the consumer finish before the loop ends
        assert message["type"] == "websocket.close"
        return message["code"]

    return run(scenario())


def test_non_members_and_anonymous_are_closed_with_4403(team):
    assert closed_with(team.project.pk, headers()) == CLOSE_FORBIDDEN
    assert closed_with(team.project.pk, headers(team.outsider)) == CLOSE_FORBIDDEN
    assert closed_with(10**9, team.h["owner"]) == CLOSE_FORBIDDEN


def test_an_editors_update_is_logged_then_relayed(team):
    async def scenario():
        editor, viewer = socket(team.project.pk, team.h["editor"]), socket(
            team.project.pk, team.h["viewer"])
        await joined(editor)
        await joined(viewer)
        await editor.send_to(bytes_data=update_message(an_edit()))
        relayed = message_parse(await viewer.receive_from(timeout=TIMEOUT))
        # The sender gets it back too, as from y-websocket's server (Yjs ignores what it has).
        echoed = message_parse(await editor.receive_from(timeout=TIMEOUT))
        assert echoed.payload == relayed.payload
        await editor.disconnect()
        await viewer.disconnect()
        return relayed

    relayed = run(scenario())
    assert relayed.sync_kind == YSyncMessageType.SYNC_UPDATE
    doc = doc_new(relayed.payload)
    assert doc_json(doc)["title"] == "Harbour"
    rows = list(StoryboardUpdate.objects.filter(document__project=team.project))
    assert [(r.seq, r.user) for r in rows] == [(1, team.editor)]
    stored, seq = document_load(document=document_for(project=team.project))
    assert seq == 1 and doc_json(stored)["scenes"][0]["prompt"] == "gulls over the pier"
    contribution = Contribution.objects.get(user=team.editor)
    assert (contribution.chars_inserted, contribution.scenes_added) == (len("Harbour") + 19, 1)


def test_a_viewers_update_is_dropped_for_everyone(team):
    async def scenario():
        viewer, owner = socket(team.project.pk, team.h["viewer"]), socket(
            team.project.pk, team.h["owner"])
        await joined(viewer)
        await joined(owner)
        await viewer.send_to(bytes_data=update_message(an_edit("Vandal")))
        assert await owner.receive_nothing(timeout=0.5)
        # A newcomer syncing from the server gets a document without it.
        late = socket(team.project.pk, team.h["editor"])
        state = await joined(late)
        for communicator in (viewer, owner, late):
            await communicator.disconnect()
        return state

    assert doc_json(doc_new(run(scenario())))["title"] == ""
    assert not StoryboardUpdate.objects.filter(document__project=team.project).exists()


def test_sync_step1_is_answered_with_what_the_client_misses(team):
    async def scenario():
        writer = socket(team.project.pk, team.h["owner"])
        await joined(writer)
        await writer.send_to(bytes_data=update_message(an_edit()))
        await writer.receive_from(timeout=TIMEOUT)  # its echo: the room has the update (and logged it)
        reader = socket(team.project.pk, team.h["viewer"])
        await joined(reader)
        await reader.send_to(bytes_data=sync_message(YSyncMessageType.SYNC_STEP1, doc_new().get_state()))
        reply = message_parse(await reader.receive_from(timeout=TIMEOUT))
        await writer.disconnect()
        await reader.disconnect()
        return reply

    reply = run(scenario())
    assert reply.sync_kind == YSyncMessageType.SYNC_STEP2
    assert doc_json(doc_new(reply.payload))["title"] == "Harbour"


def test_awareness_is_relayed_and_removed_when_a_client_leaves(team):
    presence = json.dumps({"user": {"name": "Ada", "color": "#c0392b"}, "scene": "s1"})

    async def scenario():
        ada, ben = socket(team.project.pk, team.h["owner"]), socket(
            team.project.pk, team.h["editor"])
        await joined(ada)
        await joined(ben)
        await ada.send_to(bytes_data=awareness_message([AwarenessEntry(111, 1, presence)]))
        seen = message_parse(await ben.receive_from(timeout=TIMEOUT))
        # A latecomer asking for awareness gets Ada's state.
        chen = socket(team.project.pk, team.h["viewer"])
        await joined(chen)
        greeting = message_parse(await chen.receive_from(timeout=TIMEOUT))
        await ada.disconnect()  # no goodbye message: the server must clean up
        gone_for_ben = message_parse(await ben.receive_from(timeout=TIMEOUT))
        gone_for_chen = message_parse(await chen.receive_from(timeout=TIMEOUT))
        await chen.send_to(bytes_data=bytes([3]))  # query awareness
        after = message_parse(await chen.receive_from(timeout=TIMEOUT))
        await ben.disconnect()
        await chen.disconnect()
        return seen, greeting, gone_for_ben, gone_for_chen, after

    seen, greeting, gone_for_ben, gone_for_chen, after = run(scenario())
    assert seen.kind == YMessageType.AWARENESS
    [(client_id, state)] = [(e.client_id, json.loads(e.state)) for e in awareness_parse(seen.payload)]
    # The client's fields pass through; who it is comes from the account (collab.presence).
    assert client_id == 111 and state == {
        "user": presence_user(name=team.owner.name, username=team.owner.username), "scene": "s1"}
    assert [e.client_id for e in awareness_parse(greeting.payload)] == [111]
    for gone in (gone_for_ben, gone_for_chen):
        assert [(e.client_id, e.clock, e.state) for e in awareness_parse(gone.payload)] == [
            (111, 2, "null")]
    assert awareness_parse(after.payload) == []


@pytest.mark.parametrize("garbage", [b"\x07", b"\x00\x02\x09ab", b"\x00\x02\x02\x01\x02"])
def test_malformed_messages_close_the_socket_and_change_nothing(team, garbage):
    async def scenario():
        client = socket(team.project.pk, team.h["owner"])
        await joined(client)
        await client.send_to(bytes_data=garbage)
        message = await client.receive_output(timeout=TIMEOUT)
        await client.disconnect()
        return message

    assert run(scenario()) == {"type": "websocket.close", "code": CLOSE_PROTOCOL}
    assert not StoryboardUpdate.objects.exists()


def test_programs_authenticate_with_a_bearer_token(team):
    _, raw = token_create(user=team.editor, name="script")

    async def scenario():
        client = socket(team.project.pk, [*headers(), (b"authorization", f"Bearer {raw}".encode())])
        await joined(client)
        await client.send_to(bytes_data=update_message(an_edit("By script")))
        await client.receive_from(timeout=TIMEOUT)  # its echo: the update is logged
        await client.disconnect()

    run(scenario())
    assert StoryboardUpdate.objects.get().user == team.editor
    assert closed_with(team.project.pk, [*headers(), (b"authorization", b"Bearer slm_bad_token")]) == (
        CLOSE_FORBIDDEN)
