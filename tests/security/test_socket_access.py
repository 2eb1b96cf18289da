"""Issue 12 (websockets): live access ends with membership.

Removing a member, changing their role or deleting the project is announced after it commits;
every server process re-checks the sockets of whom it concerns: a removed member's sockets close
with 4403 within a second, a downgraded editor's later edits are dropped, an upgraded viewer may
edit.
"""

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from pycrdt import YSyncMessageType
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from accounts.services import token_create
from collab.models import StoryboardUpdate
from collab.protocol import message_parse, sync_message
from collab.rooms import room_for
from collab.schema import doc_json, doc_new, scene_new, scenes_of, title_of
from core.asgi import application
from projects import services
from projects.models import Project
from projects.roles import Role
from tests.projects.factories import Team, project_with_team
from tests.servers import AsgiServer
from tests.waiting import async_wait_until
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5
WITHIN = 1.0  # seconds from the change's commit to the socket's close


@pytest.fixture
def team() -> Team:
    return project_with_team()


@pytest.fixture(scope="module")
def second_server(django_db_setup, django_db_blocker, redis_server) -> Iterator[str]:
    """A second server process, besides the session's live server."""
    with django_db_blocker.unblock():
        server = AsgiServer.start()
    try:
        yield server.url
    finally:
        server.stop()


def an_edit(text: str) -> bytes:
    doc = doc_new()
    with doc.transaction():
        title_of(doc).insert(0, text)
        scenes_of(doc).append(scene_new(prompt="rain on the harbour"))
    return doc.get_update()


def update_message(update: bytes) -> bytes:
    return sync_message(YSyncMessageType.SYNC_UPDATE, update)


def communicator(project_id: int, what: str, header_list: list) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/{what}", headers=header_list)


async def storyboard_joined(client: WebsocketCommunicator) -> None:
    connected, _ = await client.connect(timeout=TIMEOUT)
    assert connected
    for _ in range(2):
        assert (await client.receive_output(timeout=TIMEOUT))["type"] == "websocket.send"


async def closed_code(client: WebsocketCommunicator, within: float) -> Any:
    """The close code the socket gets within `within` seconds (messages before it skipped)."""
    deadline = time.monotonic() + within
    while True:
        message = await client.receive_output(timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "websocket.close":
            return message.get("code")


async def member_id(project: Project, user: Any) -> int:
    return (await database_sync_to_async(lambda: project.memberships.get(user=user).pk)())


async def rechecked(project_id: int, may_edit: dict[int, bool]) -> None:
    """Until this process's storyboard sockets have re-read their access after a change: each
    user's (by id) may edit or not as `may_edit` says."""
    room = room_for(project_id)

    def now() -> dict[int, bool]:
        return {member.user.pk: member.can_edit for member in room.members}

    await async_wait_until(lambda: now() == may_edit, timeout=WITHIN * 10,
                           message=lambda: f"the sockets' access is {now()}, not {may_edit}")


# --- in one process ----------------------------------------------------------------------------


def test_a_removed_members_sockets_are_closed_within_a_second(team):
    editor_h, viewer_h = headers(team.editor), headers(team.viewer)

    async def scenario() -> tuple[Any, Any, bool, bool]:
        events = communicator(team.project.pk, "events", editor_h)
        board = communicator(team.project.pk, "storyboard", editor_h)
        bystander = communicator(team.project.pk, "storyboard", viewer_h)
        assert (await events.connect(timeout=TIMEOUT))[0]
        await storyboard_joined(board)
        await storyboard_joined(bystander)
        membership = await member_id(team.project, team.editor)
        await database_sync_to_async(services.membership_remove)(
            project=team.project, user=team.owner, membership_id=membership)
        events_code = await closed_code(events, WITHIN)
        board_code = await closed_code(board, WITHIN)
        # Whoever stays is not disturbed.
        untouched = await bystander.receive_nothing(timeout=0.3)
        for client in (events, board, bystander):
            await client.disconnect()
        return events_code, board_code, untouched, True

    events_code, board_code, untouched, _ = run(scenario())
    assert (events_code, board_code) == (4403, 4403)
    assert untouched


def test_a_member_who_leaves_is_closed_too(team):
    viewer_h = headers(team.viewer)

    async def scenario() -> Any:
        board = communicator(team.project.pk, "storyboard", viewer_h)
        await storyboard_joined(board)
        membership = await member_id(team.project, team.viewer)
        await database_sync_to_async(services.membership_remove)(
            project=team.project, user=team.viewer, membership_id=membership)
        code = await closed_code(board, WITHIN)
        await board.disconnect()
        return code

    assert run(scenario()) == 4403


def test_deleting_the_project_closes_every_socket(team):
    owner_h, viewer_h = headers(team.owner), headers(team.viewer)

    async def scenario() -> list[Any]:
        clients = [communicator(team.project.pk, "events", owner_h),
                   communicator(team.project.pk, "events", viewer_h)]
        for client in clients:
            assert (await client.connect(timeout=TIMEOUT))[0]
        boards = [communicator(team.project.pk, "storyboard", h) for h in (owner_h, viewer_h)]
        for board in boards:
            await storyboard_joined(board)
        await database_sync_to_async(services.project_delete)(
            project=team.project, user=team.owner, confirm_name=team.project.name)
        codes = [await closed_code(client, WITHIN) for client in [*clients, *boards]]
        for client in [*clients, *boards]:
            await client.disconnect()
        return codes

    assert run(scenario()) == [4403] * 4


def test_a_downgraded_editors_edits_are_dropped_and_an_upgraded_viewers_kept(team):
    editor_h, viewer_h, owner_h = headers(team.editor), headers(team.viewer), headers(team.owner)

    async def scenario() -> tuple[bool, bytes]:
        editor = communicator(team.project.pk, "storyboard", editor_h)
        viewer = communicator(team.project.pk, "storyboard", viewer_h)
        owner = communicator(team.project.pk, "storyboard", owner_h)
        for client in (editor, viewer, owner):
            await storyboard_joined(client)
        for user, role in ((team.editor, Role.VIEWER), (team.viewer, Role.EDITOR)):
            await database_sync_to_async(services.membership_change_role)(
                project=team.project, user=team.owner, membership_id=await member_id(team.project, user),
                role=role)
        await rechecked(team.project.pk, {team.editor.pk: False, team.viewer.pk: True, team.owner.pk: True})
        await editor.send_to(bytes_data=update_message(an_edit("Demoted")))
        dropped = await owner.receive_nothing(timeout=0.5)
        await viewer.send_to(bytes_data=update_message(an_edit("Promoted")))
        relayed = message_parse(await owner.receive_from(timeout=TIMEOUT)).payload
        for client in (editor, viewer, owner):
            await client.disconnect()
        return dropped, relayed

    dropped, relayed = run(scenario())
    assert dropped
    assert doc_json(doc_new(relayed))["title"] == "Promoted"
    assert [row.user for row in StoryboardUpdate.objects.all()] == [team.viewer]


# --- across server processes ------------------------------------------------------------------


def ws_url(base_url: str, project_id: int, what: str) -> str:
    return f"{base_url.replace('http', 'ws', 1)}/ws/projects/{project_id}/{what}"


def api(base_url: str, method: str, path: str, token: str, body: dict | None = None) -> int:
    request = urllib.request.Request(
        f"{base_url}{path}", method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return response.status


async def close_code(websocket: ClientConnection, within: float) -> Any:
    """The close code within `within` seconds (messages before it skipped), else None."""
    deadline = time.monotonic() + within
    try:
        while True:
            await asyncio.wait_for(websocket.recv(), max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return None


def test_a_member_removed_on_one_server_is_closed_on_another(team, live_server_url, second_server):
    _, owner_token = token_create(user=team.owner, name="admin script")
    _, editor_token = token_create(user=team.editor, name="editor script")
    membership = team.membership(team.editor).pk
    bearer = {"Authorization": f"Bearer {editor_token}"}

    async def scenario() -> tuple[Any, Any]:
        board_url = ws_url(live_server_url, team.project.pk, "storyboard")
        events_url = ws_url(live_server_url, team.project.pk, "events")
        async with (
            connect(board_url, additional_headers=bearer) as board,
            connect(events_url, additional_headers=bearer) as events,
        ):
            await board.recv()  # joined: sync step 1
            # The events socket joins its group before it accepts; a ping's answer shows it serving.
            await events.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(events.recv(), TIMEOUT)
            status = await asyncio.to_thread(
                api, second_server, "DELETE",
                f"/api/v1/projects/{team.project.pk}/members/{membership}", owner_token)
            assert status == 204
            return await close_code(board, WITHIN), await close_code(events, WITHIN)

    assert run(scenario()) == (4403, 4403)


def test_a_downgrade_on_one_server_drops_edits_on_another(team, live_server_url, second_server):
    _, owner_token = token_create(user=team.owner, name="admin script")
    _, editor_token = token_create(user=team.editor, name="editor script")
    membership = team.membership(team.editor).pk
    url = ws_url(live_server_url, team.project.pk, "storyboard")
    watch_url = ws_url(second_server, team.project.pk, "storyboard")

    async def scenario() -> tuple[bool, dict]:
        async with (
            connect(url, additional_headers={"Authorization": f"Bearer {editor_token}"}) as editor,
            connect(watch_url, additional_headers={"Authorization": f"Bearer {owner_token}"}) as owner,
        ):
            for websocket in (editor, owner):
                await websocket.recv()
                await websocket.recv()
            status = await asyncio.to_thread(
                api, second_server, "PATCH", f"/api/v1/projects/{team.project.pk}/members/{membership}",
                owner_token, {"role": "viewer"})
            assert status == 200
            # Deliberate: the claim is that a change reaches every server's sockets within WITHIN,
            # and nothing of it reaches this client to wait on (a probing edit would be stored).
            await asyncio.sleep(WITHIN)
            await editor.send(update_message(an_edit("Too late")))
            try:
                await asyncio.wait_for(owner.recv(), 0.7)
                relayed = True
            except TimeoutError:
                relayed = False
        # A newcomer on the editor's server gets a document without it.
        async with connect(url, additional_headers={"Authorization": f"Bearer {owner_token}"}) as late:
            await late.recv()
            state = message_parse(await late.recv()).payload
        return relayed, doc_json(doc_new(state))

    relayed, state = run(scenario())
    assert not relayed and state["title"] == ""
    assert not StoryboardUpdate.objects.exists()
