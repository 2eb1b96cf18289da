"""Issue 12 (websockets): who a socket is, decided by how it authenticates.

A session cookie is ambient authority (a browser sends it to any page's socket), so it counts
only on a socket whose Origin is one of ours: cross-site websocket hijacking gets an anonymous
socket, closed with 4403. A bearer token is not ambient (a browser cannot set the header), so a
program (pycrdt, plain `websockets`) needs no Origin. Awareness (presence, carets) is the
server's word on who is who: a socket speaks only for its own client id, and the name and colour
in it come from the account.
"""

import asyncio
import json
import re
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from pycrdt import Doc, Provider, YMessageType, YSyncMessageType
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.services import token_create
from collab.models import StoryboardUpdate
from collab.presence import awareness_color
from collab.protocol import AwarenessEntry, awareness_message, awareness_parse, message_parse, sync_message
from collab.schema import doc_json, doc_new, scene_new, scenes_of, title_of
from core.asgi import application
from tests.collab.yclient import WebsocketChannel, settle
from tests.projects.factories import Team, project_with_team
from tests.waiting import async_wait_until
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5
EVIL = "https://evil.example"


@pytest.fixture
def team() -> Team:
    return project_with_team()


def ws_url(base_url: str, project_id: int, what: str = "storyboard") -> str:
    return f"{base_url.replace('http', 'ws', 1)}/ws/projects/{project_id}/{what}"


def cookie_of(user: Any) -> str:
    """The `Cookie` header value of a signed-in session of `user`."""
    return next(value.decode() for name, value in headers(user) if name == b"cookie")


def an_edit(text: str) -> bytes:
    doc = doc_new()
    with doc.transaction():
        title_of(doc).insert(0, text)
        scenes_of(doc).append(scene_new(prompt="a kite over the dunes"))
    return doc.get_update()


async def first_message_or_close(url: str, **kwargs: Any) -> tuple[str, Any]:
    """("message", the first message) or ("closed", the close code)."""
    try:
        async with connect(url, open_timeout=TIMEOUT, **kwargs) as websocket:
            return "message", await asyncio.wait_for(websocket.recv(), TIMEOUT)
    except ConnectionClosed as exc:
        return "closed", exc.rcvd.code if exc.rcvd else None


# --- program clients: a bearer token, no Origin ----------------------------------------------


def test_a_pycrdt_program_with_a_token_and_no_origin_joins_and_edits(team, live_server_url):
    _, raw = token_create(user=team.editor, name="script")
    url = ws_url(live_server_url, team.project.pk)

    async def scenario() -> dict:
        doc = doc_new()
        # No `origin=`: a program sends none (websockets adds no Origin header by itself).
        async with (
            connect(url, additional_headers={"Authorization": f"Bearer {raw}"}, open_timeout=TIMEOUT,
                    max_size=None) as websocket,
            Provider(doc, WebsocketChannel(websocket, url)) as provider,
        ):
            await asyncio.wait_for(provider.synced.wait(), TIMEOUT)
            title_of(doc).insert(0, "Written by a bot")
            stored = StoryboardUpdate.objects.filter(document__project_id=team.project.pk).exists
            await async_wait_until(lambda: asyncio.to_thread(stored), timeout=10,
                                   message="nothing was stored")
            return doc_json(doc)

    assert run(scenario())["title"] == "Written by a bot"
    assert StoryboardUpdate.objects.get(document__project=team.project).user == team.editor


def test_a_plain_websockets_program_with_a_token_and_a_foreign_origin_works(team, live_server_url):
    """The token is not ambient authority: whatever Origin a program names, it is itself."""
    _, raw = token_create(user=team.viewer, name="reader")
    kind, first = run(first_message_or_close(
        ws_url(live_server_url, team.project.pk),
        additional_headers={"Authorization": f"Bearer {raw}"}, origin=EVIL))
    assert kind == "message"
    step1 = message_parse(first)
    assert (step1.kind, step1.sync_kind) == (YMessageType.SYNC, YSyncMessageType.SYNC_STEP1)


def test_a_bad_token_without_origin_is_closed_4403(team, live_server_url):
    assert run(first_message_or_close(
        ws_url(live_server_url, team.project.pk),
        additional_headers={"Authorization": "Bearer slm_not_a_token"})) == ("closed", 4403)


# --- session cookies: only with our own Origin -----------------------------------------------


@pytest.mark.parametrize("what", ["storyboard", "events"])
def test_a_session_cookie_without_origin_is_not_trusted(team, live_server_url, what):
    cookie = cookie_of(team.owner)
    assert run(first_message_or_close(
        ws_url(live_server_url, team.project.pk, what),
        additional_headers={"Cookie": cookie})) == ("closed", 4403)


@pytest.mark.parametrize("what", ["storyboard", "events"])
def test_a_session_cookie_from_a_foreign_origin_is_refused(team, live_server_url, what):
    """Cross-site websocket hijacking: evil.example's page opens our socket in the victim's
    browser, which sends the victim's cookie."""
    cookie = cookie_of(team.owner)
    kind, code = run(first_message_or_close(
        ws_url(live_server_url, team.project.pk, what),
        additional_headers={"Cookie": cookie}, origin=EVIL))
    assert (kind, code) == ("closed", 4403)


def test_a_session_cookie_from_our_origin_works(team, live_server_url):
    cookie = cookie_of(team.owner)
    kind, first = run(first_message_or_close(
        ws_url(live_server_url, team.project.pk),
        additional_headers={"Cookie": cookie}, origin=live_server_url))
    assert kind == "message" and message_parse(first).kind == YMessageType.SYNC


def test_a_session_cookie_from_a_trusted_csrf_origin_works(team, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.storyloom.example"]
    trusted = headers(team.owner, origin=b"https://studio.storyloom.example")
    foreign = headers(team.owner, origin=b"https://storyloom.example.evil.example")

    async def scenario(header_list: list) -> Any:
        communicator = WebsocketCommunicator(
            application, f"/ws/projects/{team.project.pk}/storyboard", headers=header_list)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        message = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return message

    assert run(scenario(trusted))["type"] == "websocket.send"
    assert run(scenario(foreign)) == {"type": "websocket.close", "code": 4403}


# --- token scopes ------------------------------------------------------------------------------


def storyboard(project_id: int, header_list: list) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/storyboard",
                                 headers=header_list)


async def joined(communicator: WebsocketCommunicator) -> None:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    for _ in range(2):  # sync step 1 and step 2
        message = await communicator.receive_output(timeout=TIMEOUT)
        assert message["type"] == "websocket.send", message


def bearer_headers(raw: str) -> list:
    return [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {raw}".encode())]


def test_a_token_without_write_is_a_viewer_and_without_read_is_refused(team):
    _, read_only = token_create(user=team.editor, name="read only", scopes=["read"])
    _, no_read = token_create(user=team.editor, name="renders only", scopes=["generate"])
    owner = headers(team.owner)

    async def scenario() -> Any:
        watcher, reader = storyboard(team.project.pk, owner), storyboard(
            team.project.pk, bearer_headers(read_only))
        await joined(watcher)
        await joined(reader)
        await reader.send_to(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, an_edit("Nope")))
        dropped = await watcher.receive_nothing(timeout=0.5)
        blind = storyboard(team.project.pk, bearer_headers(no_read))
        connected, _ = await blind.connect(timeout=TIMEOUT)
        assert connected
        closed = await blind.receive_output(timeout=TIMEOUT)
        for communicator in (watcher, reader, blind):
            await communicator.disconnect()
        return dropped, closed

    dropped, closed = run(scenario())
    assert dropped and not StoryboardUpdate.objects.exists()
    assert closed == {"type": "websocket.close", "code": 4403}


def test_the_events_socket_needs_the_read_scope_too(team):
    _, read_only = token_create(user=team.viewer, name="read only", scopes=["read"])
    _, no_read = token_create(user=team.viewer, name="renders only", scopes=["generate"])

    async def scenario(raw: str) -> Any:
        events = WebsocketCommunicator(application, f"/ws/projects/{team.project.pk}/events",
                                       headers=bearer_headers(raw))
        assert (await events.connect(timeout=TIMEOUT))[0]
        await events.send_json_to({"type": "ping"})
        reply = await events.receive_output(timeout=TIMEOUT)
        await events.disconnect()
        return reply

    assert json.loads(run(scenario(read_only))["text"]) == {"type": "pong"}
    assert run(scenario(no_read)) == {"type": "websocket.close", "code": 4403}


# --- awareness: the server's word on who is who --------------------------------------------------


def presence(**fields: Any) -> str:
    return json.dumps(fields)


def test_awareness_carries_the_accounts_name_and_colour_not_the_clients(team):
    team.editor.display_name = "Edith Editor"
    team.editor.save(update_fields=["display_name"])
    editor, owner = headers(team.editor), headers(team.owner)
    forged = presence(user={"name": "The Owner", "color": "red;background:url(x)",
                            "colorLight": "javascript:alert(1)", "username": team.owner.username},
                      scene="s1", cursor={"anchor": 1, "head": 2})

    async def scenario() -> list[AwarenessEntry]:
        mallory, watcher = storyboard(team.project.pk, editor), storyboard(team.project.pk, owner)
        await joined(mallory)
        await joined(watcher)
        await mallory.send_to(bytes_data=awareness_message([AwarenessEntry(501, 1, forged)]))
        seen = message_parse(await watcher.receive_from(timeout=TIMEOUT))
        await mallory.disconnect()
        await watcher.disconnect()
        return awareness_parse(seen.payload)

    [entry] = run(scenario())
    state = json.loads(entry.state)
    color = awareness_color(team.editor.username)
    assert re.fullmatch(r"#[0-9a-f]{6}", color)
    assert state["user"] == {"name": "Edith Editor", "username": team.editor.username,
                             "color": color, "colorLight": color + "33"}
    assert state["scene"] == "s1" and state["cursor"] == {"anchor": 1, "head": 2}  # passed on


def test_the_server_colour_is_the_browsers_colour():
    """static/js/src/storyboard/util.js colorOf: avatars, comments and carets agree on a person's colour."""
    assert [awareness_color(name) for name in ("ada", "user1", "user2", "李白", "", "😀x")] == [
        "#7048e8", "#d9480f", "#9c36b5", "#087f5b", "#c2255c", "#b35900"]


def test_a_socket_speaks_only_for_its_own_client_id(team):
    owner, editor, viewer = headers(team.owner), headers(team.editor), headers(team.viewer)

    async def scenario() -> tuple[list, list, list, list]:
        victim, mallory, watcher = (storyboard(team.project.pk, h) for h in (owner, editor, viewer))
        for communicator in (victim, mallory, watcher):
            await joined(communicator)
        await victim.send_to(bytes_data=awareness_message([AwarenessEntry(100, 1, presence(scene="a"))]))
        first = awareness_parse(message_parse(await watcher.receive_from(timeout=TIMEOUT)).payload)
        await mallory.receive_from(timeout=TIMEOUT)
        await victim.receive_from(timeout=TIMEOUT)  # its own echo
        # Mallory claims 200, then tries to remove the victim's 100 and to speak for 300.
        await mallory.send_to(bytes_data=awareness_message([
            AwarenessEntry(200, 1, presence(scene="b")), AwarenessEntry(100, 5, "null"),
            AwarenessEntry(300, 1, presence(scene="c"))]))
        second = awareness_parse(message_parse(await watcher.receive_from(timeout=TIMEOUT)).payload)
        await mallory.send_to(bytes_data=awareness_message([AwarenessEntry(100, 9, presence(scene="x"))]))
        assert await watcher.receive_nothing(timeout=0.3)  # nothing of hers is left to relay
        await watcher.send_to(bytes_data=bytes([3]))  # query awareness: who is here
        everyone = awareness_parse(message_parse(await watcher.receive_from(timeout=TIMEOUT)).payload)
        # A socket whose first claim is someone else's live client id gets nothing relayed.
        squatter = storyboard(team.project.pk, editor)
        await joined(squatter)
        await squatter.receive_output(timeout=TIMEOUT)  # the greeting: who is here
        await squatter.send_to(bytes_data=awareness_message([AwarenessEntry(100, 7, "null")]))
        squat = await watcher.receive_nothing(timeout=0.3)
        for communicator in (victim, mallory, watcher, squatter):
            await communicator.disconnect()
        return first, second, everyone, [squat]

    first, second, everyone, [squat] = run(scenario())
    assert [e.client_id for e in first] == [100]
    assert [e.client_id for e in second] == [200]
    assert sorted(e.client_id for e in everyone) == [100, 200]
    assert squat


@pytest.mark.parametrize("state", ["not json", "[1, 2]", '"text"', json.dumps({"pad": "x" * 5000})])
def test_awareness_that_is_not_a_small_json_object_is_dropped(team, state):
    owner, viewer = headers(team.owner), headers(team.viewer)

    async def scenario() -> tuple[bool, list]:
        sender, watcher = storyboard(team.project.pk, owner), storyboard(team.project.pk, viewer)
        await joined(sender)
        await joined(watcher)
        await sender.send_to(bytes_data=awareness_message([AwarenessEntry(7, 1, state)]))
        nothing = await watcher.receive_nothing(timeout=0.3)
        await sender.send_to(bytes_data=awareness_message([AwarenessEntry(7, 2, presence(scene="ok"))]))
        after = awareness_parse(message_parse(await watcher.receive_from(timeout=TIMEOUT)).payload)
        await sender.disconnect()
        await watcher.disconnect()
        return nothing, after

    nothing, after = run(scenario())
    assert nothing
    assert [(e.client_id, json.loads(e.state)["scene"]) for e in after] == [(7, "ok")]


def test_two_program_clients_without_origin_converge(team, live_server_url):
    """Two pycrdt programs, each with its own token and no Origin, co-edit."""
    _, one = token_create(user=team.owner, name="one")
    _, two = token_create(user=team.editor, name="two")
    url = ws_url(live_server_url, team.project.pk)

    async def client(raw: str, doc: Doc, text: str, done: asyncio.Event, other: Doc) -> None:
        async with (
            connect(url, additional_headers={"Authorization": f"Bearer {raw}"}, max_size=None) as ws,
            Provider(doc, WebsocketChannel(ws, url)) as provider,
        ):
            await asyncio.wait_for(provider.synced.wait(), TIMEOUT)
            scenes_of(doc).append(scene_new(prompt=text))
            await settle(doc, other)
            await async_wait_until(lambda: all(len(scenes_of(d)) == 2 for d in (doc, other)), timeout=20,
                                   message="the two scenes are not in both documents")
            done.set()

    async def scenario() -> tuple[dict, dict]:
        a, b = doc_new(), doc_new()
        done_a, done_b = asyncio.Event(), asyncio.Event()
        await asyncio.wait_for(asyncio.gather(client(one, a, "dawn", done_a, b),
                                              client(two, b, "dusk", done_b, a)), 20)
        return doc_json(a), doc_json(b)

    a, b = run(scenario())
    assert a == b and sorted(scene["prompt"] for scene in a["scenes"]) == ["dawn", "dusk"]
