"""Issue 13, websockets: what one socket, one account or one address can cost is bounded.

- Frames: none larger than WS_MAX_FRAME_BYTES (the server's --ws-max-size, and the consumers
  themselves close 1009 above it, so a server started without the flag is bounded too).
- What a storyboard socket has not yet been sent is bounded in messages and in bytes: a client
  that does not read (or asks for the whole document again and again) is closed with 1013.
- Awareness (presence): states are capped in bytes and must be JSON objects; varints a browser
  cannot read are refused; entries go with their socket, and entries nobody renews (those of a
  process that died) are forgotten after WS_AWARENESS_TIMEOUT_S, as y-protocols does.
- Handshakes per minute per account and per client address (X-Forwarded-For only behind
  TRUSTED_PROXIES): over the limit the handshake is refused (HTTP 429 on a real server).
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import RequestFactory
from pycrdt import YMessageType, YSyncMessageType, write_var_uint
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from accounts.services import token_create
from collab.fanout import AWARENESS, channel_for, frame
from collab.protocol import AwarenessEntry, awareness_message, awareness_parse, message_parse, sync_message
from collab.services import scene_add
from core.asgi import application
from kernel.client_address import address_from_request, address_from_scope
from kernel.redis_urls import for_redis_py
from tests.projects.factories import Team, project_with_team
from tests.servers import AsgiServer
from tests.waiting import async_wait_until
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5
QUERY_AWARENESS = bytes([3])
STEP1_EMPTY = sync_message(YSyncMessageType.SYNC_STEP1, b"\x00")  # "I have nothing": the whole doc


@pytest.fixture
def team() -> Team:
    team = project_with_team()
    # Session cookies are made before any event loop runs (the test client is sync).
    team.h = {who: headers(team.user(who)) for who in ("owner", "editor", "viewer")}
    return team


def socket(project_id: int, header_list: list, what: str = "storyboard",
           client: str | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/projects/{project_id}/{what}",
                                         headers=header_list)
    if client is not None:
        communicator.scope["client"] = (client, 50000)  # as a server fills it in
    return communicator


async def joined(communicator: WebsocketCommunicator) -> None:
    """Connect a storyboard socket and read the server's greeting (step 1, step 2)."""
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    for _ in range(2):
        assert message_parse(await communicator.receive_from(timeout=TIMEOUT)).kind == YMessageType.SYNC


async def until_closed(communicator: WebsocketCommunicator) -> tuple[int, int | None]:
    """Read everything the server sends: (how many messages came before the close, its code)."""
    count = 0
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            await communicator.disconnect()
            return count, output.get("code")
        count += 1


def awareness_of(data: bytes) -> list[tuple[int, Any]]:
    message = message_parse(data)
    assert message.kind == YMessageType.AWARENESS
    return [(e.client_id, json.loads(e.state)) for e in awareness_parse(message.payload)]


def presence(client_id: int, clock: int = 1, **state: Any) -> bytes:
    return awareness_message([AwarenessEntry(client_id, clock, json.dumps({"scene": None, **state}))])


# --- 1. frame size --------------------------------------------------------------------------


def test_both_consumers_close_1009_on_a_frame_over_the_limit_without_the_server_flag(team, settings):
    """The consumers bound frames themselves (a server started without --ws-max-size)."""
    settings.WS_MAX_FRAME_BYTES = 1000

    async def scenario() -> list[Any]:
        board = socket(team.project.pk, team.h["owner"])
        await joined(board)
        await board.send_to(bytes_data=presence(7, pad="x" * 800))  # under the limit: relayed
        echoed = awareness_of(await board.receive_from(timeout=TIMEOUT))
        await board.send_to(bytes_data=presence(7, 2, pad="x" * 1000))
        board_closed = await board.receive_output(timeout=TIMEOUT)
        await board.disconnect()

        events = socket(team.project.pk, team.h["owner"], "events")
        assert (await events.connect(timeout=TIMEOUT))[0]
        await events.send_to(text_data=json.dumps({"type": "ping"}))
        pong = await events.receive_json_from(timeout=TIMEOUT)
        await events.send_to(text_data=json.dumps({"type": "ping", "pad": "é" * 600}, ensure_ascii=False))
        events_closed = await events.receive_output(timeout=TIMEOUT)
        await events.disconnect()
        return [echoed[0][0], board_closed, pong, events_closed]

    echoed_id, board_closed, pong, events_closed = run(scenario())
    assert echoed_id == 7 and pong == {"type": "pong"}
    assert board_closed == {"type": "websocket.close", "code": 1009}
    assert events_closed == {"type": "websocket.close", "code": 1009}


def test_the_server_refuses_a_frame_over_the_limit(team, live_server_url):
    _, raw = token_create(user=team.owner, name="big")
    url = f"{live_server_url.replace('http', 'ws', 1)}/ws/projects/{team.project.pk}/storyboard"
    limit = settings.WS_MAX_FRAME_BYTES
    big = presence(9, pad="x" * limit)[:limit + 1]  # one byte over (a truncated frame: no matter)

    async def scenario() -> int | None:
        async with connect(url, additional_headers={"Authorization": f"Bearer {raw}"},
                           max_size=None, open_timeout=TIMEOUT) as websocket:
            await websocket.recv()
            await websocket.send(big)
            try:
                while True:
                    await asyncio.wait_for(websocket.recv(), TIMEOUT)
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None

    assert run(scenario()) == 1009


# --- 2. outgoing queues ---------------------------------------------------------------------


@pytest.mark.parametrize("bound", ["bytes", "messages"])
def test_a_socket_whose_unsent_messages_exceed_a_bound_is_closed_1013(team, settings, bound):
    """100 requests for the whole document (64 KB each), or 100 for the room's awareness, sent
    at once: replies pile up faster than they go out. The socket is closed, not fed forever."""
    settings.WS_OUTBOX_MAX_BYTES = 256 * 1024
    settings.WS_OUTBOX_MAX_MESSAGES = 20
    scene_add(project=team.project, user=team.owner, prompt="a long shot " * 5500)  # 66 KB
    request = STEP1_EMPTY if bound == "bytes" else QUERY_AWARENESS

    async def scenario() -> tuple[int, int | None]:
        greedy = socket(team.project.pk, team.h["viewer"])
        await joined(greedy)
        for _ in range(100):  # (queued before the consumer runs again)
            await greedy.send_to(bytes_data=request)
        return await until_closed(greedy)

    replies, code = run(scenario())
    assert code == 1013
    assert replies < (4 if bound == "bytes" else 20)


@pytest.fixture(scope="module")
def limited_server(django_db_setup, django_db_blocker) -> Iterator[AsgiServer]:
    """A server with small outgoing queues and few connects per address."""
    with django_db_blocker.unblock():
        server = AsgiServer.start(WS_OUTBOX_MAX_BYTES=str(1024 * 1024), WS_CONNECTS_PER_MINUTE_ADDRESS="4")
    try:
        yield server
    finally:
        server.stop()


def test_a_client_that_stops_reading_is_closed_by_the_server(team, limited_server):
    """A real socket: the client asks for the 66 KB document 400 times and reads nothing for a
    while. The server does not keep 26 MB for it: once the kernel's buffers and 1 MB are full,
    it gives up on the socket (1013 when the client reads again)."""
    scene_add(project=team.project, user=team.owner, prompt="a long shot " * 5500)
    _, raw = token_create(user=team.viewer, name="slow")
    url = f"{limited_server.url.replace('http', 'ws', 1)}/ws/projects/{team.project.pk}/storyboard"

    async def scenario() -> tuple[int, int | None]:
        async with connect(url, additional_headers={"Authorization": f"Bearer {raw}"},
                           max_size=None, max_queue=1, open_timeout=TIMEOUT) as websocket:
            for _ in range(400):
                await websocket.send(STEP1_EMPTY)
            # Deliberate: the attack is a client that reads nothing for a while. (Nothing the server
            # does meanwhile reaches a client that is not reading, so there is no sign to wait on.)
            await asyncio.sleep(3)
            replies = 0
            try:
                while True:
                    await asyncio.wait_for(websocket.recv(), TIMEOUT)
                    replies += 1
            except ConnectionClosed as exc:
                return replies, exc.rcvd.code if exc.rcvd else None

    replies, code = run(scenario())
    assert code == 1013 and replies < 400


# --- 3. awareness ---------------------------------------------------------------------------


def test_awareness_states_over_the_cap_or_not_json_objects_reach_nobody(team, settings):
    settings.WS_AWARENESS_MAX_BYTES = 300
    refused = [json.dumps({"pad": "x" * 300}), "{not json", "[1, 2]", '{"x": NaN}', '"text"']

    async def scenario() -> tuple[list, list]:
        ada, ben = socket(team.project.pk, team.h["owner"]), socket(team.project.pk, team.h["editor"])
        await joined(ada)
        await joined(ben)
        for clock, state in enumerate(refused, start=1):
            await ada.send_to(bytes_data=awareness_message([AwarenessEntry(5, clock, state)]))
        await ada.send_to(bytes_data=presence(5, 10, pad="x" * 100))  # under the cap (with `user`)
        seen = awareness_of(await ben.receive_from(timeout=TIMEOUT))
        await ben.send_to(bytes_data=QUERY_AWARENESS)
        cached = awareness_of(await ben.receive_from(timeout=TIMEOUT))
        for communicator in (ada, ben):
            await communicator.disconnect()
        return seen, cached

    seen, cached = run(scenario())
    assert [(client_id, state["pad"]) for client_id, state in seen] == [(5, "x" * 100)]
    assert cached == seen


def awareness_frame(payload: bytes) -> bytes:
    """An awareness message around a payload written by hand."""
    return bytes([YMessageType.AWARENESS]) + write_var_uint(len(payload)) + payload


@pytest.mark.parametrize("garbage", [
    presence(2**60),  # a client id JavaScript cannot hold (lib0 throws above 2^53)
    # A client id written in 12 bytes (lib0 writes at most 8): long varints are refused, however
    # long (decoding a 1 MB one took minutes, quadratic time, blocking the whole process).
    awareness_frame(b"\x01" + b"\x80" * 11 + b"\x00" + b"\x01" + b"\x02{}"),
    b"\x01" + b"\xff" * (256 * 1024) + b"\x01",
    awareness_frame(b"\x01\x05\x01" + write_var_uint(100) + b"{}"),  # a state cut short
])
def test_varints_a_browser_cannot_read_and_truncated_awareness_close_the_socket(team, garbage):
    async def scenario() -> tuple[Any, list]:
        bad, peer = socket(team.project.pk, team.h["owner"]), socket(team.project.pk, team.h["editor"])
        await joined(bad)
        await joined(peer)
        await bad.send_to(bytes_data=garbage)
        closed = await bad.receive_output(timeout=TIMEOUT)
        await bad.disconnect()
        await peer.send_to(bytes_data=QUERY_AWARENESS)  # the server still answers, and relayed nothing
        answer = awareness_of(await peer.receive_from(timeout=TIMEOUT))
        await peer.disconnect()
        return closed, answer

    closed, answer = run(scenario())
    assert closed == {"type": "websocket.close", "code": 4400}
    assert answer == []


def test_only_the_first_entries_of_an_awareness_message_are_read(team, settings):
    """A socket speaks for one client id; a flood of entries for others costs no more than a few."""
    settings.WS_AWARENESS_MAX_ENTRIES = 4
    others = [AwarenessEntry(1000 + n, 1, "null") for n in range(5)]

    def own(clock: int) -> AwarenessEntry:
        return AwarenessEntry(6, clock, json.dumps({"scene": f"s{clock}"}))

    async def scenario() -> list[Any]:
        late, peer = socket(team.project.pk, team.h["owner"]), socket(team.project.pk, team.h["editor"])
        await joined(late)
        await joined(peer)
        await late.send_to(bytes_data=awareness_message([own(1)]))
        await late.send_to(bytes_data=awareness_message([*others, own(2)]))  # 6th entry: not read
        await late.send_to(bytes_data=awareness_message([own(3), *others]))  # 1st: read
        relayed = [awareness_of(await peer.receive_from(timeout=TIMEOUT)) for _ in range(2)]
        for communicator in (late, peer):
            await communicator.disconnect()
        return relayed

    assert [[(client_id, state["scene"]) for client_id, state in message] for message in run(scenario())] == [
        [(6, "s1")], [(6, "s3")]]


def test_awareness_entries_go_with_their_sockets(team):
    """Twelve sockets announce themselves and leave (no goodbye): each one's peers are told it
    left (a null state), and nothing of them stays in the room for newcomers."""

    async def scenario() -> tuple[list, list]:
        watcher = socket(team.project.pk, team.h["viewer"])
        await joined(watcher)
        left = []
        for n in range(12):
            visitor = socket(team.project.pk, team.h["owner" if n % 2 else "editor"])
            await joined(visitor)
            await visitor.send_to(bytes_data=presence(100 + n))
            awareness_of(await watcher.receive_from(timeout=TIMEOUT))  # its arrival
            await visitor.disconnect()
            gone = message_parse(await watcher.receive_from(timeout=TIMEOUT))
            left += [(e.client_id, e.state) for e in awareness_parse(gone.payload)]
        await watcher.send_to(bytes_data=QUERY_AWARENESS)
        remaining = awareness_of(await watcher.receive_from(timeout=TIMEOUT))
        await watcher.disconnect()
        return left, remaining

    left, remaining = run(scenario())
    assert left == [(100 + n, "null") for n in range(12)]
    assert remaining == []


def test_awareness_of_a_process_that_died_is_forgotten(team, settings):
    """Another process announced a client, then died before telling anyone it left: after
    WS_AWARENESS_TIMEOUT_S without renewal the entry is no longer handed to anyone."""
    settings.WS_AWARENESS_TIMEOUT_S = 1
    ghost = awareness_message([AwarenessEntry(4242, 3, json.dumps({"user": {"username": "ghost"}}))])

    async def scenario() -> tuple[list, list, list]:
        watcher = socket(team.project.pk, team.h["viewer"])
        await joined(watcher)
        publisher = redis.Redis.from_url(for_redis_py(settings.REDIS_URL))
        publisher.publish(channel_for(team.project.pk), frame(uuid.uuid4().bytes, AWARENESS, ghost))
        publisher.close()
        heard = awareness_of(await watcher.receive_from(timeout=TIMEOUT))
        await watcher.send_to(bytes_data=QUERY_AWARENESS)
        fresh = awareness_of(await watcher.receive_from(timeout=TIMEOUT))

        async def forgotten() -> bool:  # asked again until WS_AWARENESS_TIMEOUT_S has passed
            await watcher.send_to(bytes_data=QUERY_AWARENESS)
            return awareness_of(await watcher.receive_from(timeout=TIMEOUT)) == []

        await async_wait_until(forgotten, timeout=20, interval=0.1, message="the ghost is still handed out")
        await watcher.send_to(bytes_data=QUERY_AWARENESS)
        stale = awareness_of(await watcher.receive_from(timeout=TIMEOUT))
        await watcher.disconnect()
        return heard, fresh, stale

    heard, fresh, stale = run(scenario())
    assert [client_id for client_id, _ in heard] == [4242]
    assert [client_id for client_id, _ in fresh] == [4242]
    assert stale == []


# --- 4. connection rate limits --------------------------------------------------------------


def handshake(project_id: int, header_list: list, what: str, client: str | None) -> bool:
    """Whether the handshake was accepted (a 4403 after accepting counts as accepted)."""
    async def scenario() -> bool:
        communicator = socket(project_id, header_list, what, client)
        accepted, _ = await communicator.connect(timeout=TIMEOUT)
        await communicator.disconnect()
        return accepted

    return run(scenario())


def test_connects_per_address_are_limited_on_both_sockets(team, settings):
    settings.WS_CONNECTS_PER_MINUTE_ADDRESS = 3
    anonymous = headers()
    pid = team.project.pk
    first = [handshake(pid, team.h["owner"], "storyboard", "203.0.113.7"),
             handshake(pid, anonymous, "events", "203.0.113.7"),
             handshake(pid, team.h["editor"], "events", "203.0.113.7")]
    assert first == [True, True, True]
    assert not handshake(pid, team.h["viewer"], "storyboard", "203.0.113.7")
    assert not handshake(pid, anonymous, "events", "203.0.113.7")
    # A made-up X-Forwarded-For does not open a new bucket (no trusted proxy by default) ...
    spoofed = [*team.h["viewer"], (b"x-forwarded-for", b"198.51.100.1")]
    assert not handshake(pid, spoofed, "storyboard", "203.0.113.7")
    # ... while another address has its own.
    assert handshake(pid, team.h["viewer"], "storyboard", "203.0.113.8")


def test_behind_a_trusted_proxy_the_address_it_saw_counts(team, settings):
    settings.WS_CONNECTS_PER_MINUTE_ADDRESS = 2
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    pid = team.project.pk

    def via_proxy(forwarded: bytes) -> bool:
        return handshake(pid, [*team.h["owner"], (b"x-forwarded-for", forwarded)], "events", "10.0.0.2")

    assert [via_proxy(b"1.1.1.1, 203.0.113.7"), via_proxy(b"2.2.2.2, 203.0.113.7")] == [True, True]
    assert not via_proxy(b"3.3.3.3, 203.0.113.7")  # what the client wrote before it does not count
    assert via_proxy(b"203.0.113.7, 203.0.113.9")  # another client behind the same proxy


def test_connects_per_account_are_limited_from_any_address(team, settings):
    settings.WS_CONNECTS_PER_MINUTE_ACCOUNT = 2
    pid = team.project.pk
    _, raw = token_create(user=team.owner, name="bot")
    bearer = [(b"authorization", f"Bearer {raw}".encode())]
    assert handshake(pid, team.h["owner"], "storyboard", "203.0.113.1")
    assert handshake(pid, bearer, "events", "203.0.113.2")
    assert not handshake(pid, team.h["owner"], "events", "203.0.113.3")
    assert not handshake(pid, bearer, "storyboard", "203.0.113.4")
    assert handshake(pid, team.h["editor"], "storyboard", "203.0.113.3")


def test_a_real_server_refuses_the_handshake_with_429(team, limited_server):
    """Browsers see a failed handshake and back off (y-websocket: up to maxBackoffTime; the
    events script: up to 30 s); programs read 429 and Retry-After."""
    _, raw = token_create(user=team.owner, name="bot")
    url = f"{limited_server.url.replace('http', 'ws', 1)}/ws/projects/{team.project.pk}/events"

    async def scenario() -> list[Any]:
        results: list[Any] = []
        for _ in range(5):
            try:
                async with connect(url, additional_headers={"Authorization": f"Bearer {raw}"},
                                   open_timeout=TIMEOUT):
                    results.append("open")
            except InvalidStatus as exc:
                retry_after = int(exc.response.headers["Retry-After"])
                results.append((exc.response.status_code, 0 < retry_after <= 60))
        return results

    assert run(scenario()) == ["open"] * 4 + [(429, True)]


# --- the client address ---------------------------------------------------------------------


def test_the_client_address_follows_the_trusted_proxies_setting(settings):
    scope = {"client": ("10.0.0.2", 5000),
             "headers": [(b"x-forwarded-for", b"1.2.3.4, 5.6.7.8"), (b"x-forwarded-for", b"203.0.113.7")]}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2",
                                   HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8, 203.0.113.7")
    assert address_from_scope(scope) == address_from_request(request) == "10.0.0.2"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 2}
    assert address_from_scope(scope) == address_from_request(request) == "5.6.7.8"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 5}  # fewer entries than proxies
    assert address_from_scope(scope) == address_from_request(request) == "1.2.3.4"
    assert address_from_scope({"headers": []}) is None


def test_open_sockets_do_not_each_hold_a_redis_connection(team):
    """Counting a handshake must not leave a Redis client behind per socket: a thousand idle
    sockets would otherwise hold a thousand connections (and twice the file descriptors)."""
    server = redis.Redis.from_url(for_redis_py(settings.REDIS_URL))

    async def scenario() -> int:
        warm = socket(team.project.pk, team.h["owner"])  # the process's own connections open once
        await joined(warm)
        before = len(server.client_list())
        sockets = [socket(team.project.pk, team.h["editor"], client=f"203.0.113.{n}") for n in range(30)]
        for communicator in sockets:
            await joined(communicator)
        added = len(server.client_list()) - before
        for communicator in [warm, *sockets]:
            await communicator.disconnect()
        return added

    assert run(scenario()) < 5


def test_an_idle_socket_keeps_no_copy_of_what_it_was_sent(team):
    """Its sender waits holding nothing: a thousand idle sockets must not each pin the document
    they were sent when they synced."""
    from collab.rooms import room_for

    async def scenario() -> list[str]:
        communicator = socket(team.project.pk, team.h["owner"])
        await joined(communicator)
        (member,) = room_for(team.project.pk).members
        waiting = member.sender.get_coro().cr_frame  # the sender, waiting for more to send
        held = [name for name, value in waiting.f_locals.items() if isinstance(value, bytes | list | tuple)]
        await communicator.disconnect()
        return held

    assert run(scenario()) == []
