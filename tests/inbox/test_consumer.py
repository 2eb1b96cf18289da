"""`/ws/notifications` through the whole ASGI stack (origin check, session auth, rate limit, router)."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import translation

from core.asgi import application
from inbox import services
from inbox.consumers import CLOSE_FORBIDDEN
from inbox.messages import MESSAGES
from inbox.models import Kind
from kernel.ws_limits import CLOSE_UNSUPPORTED
from tests.accounts.factories import ApiTokenFactory, UserFactory
from tests.inbox.factories import NotificationFactory
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5
PATH = "/ws/notifications"


def socket(header_list: list) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, PATH, headers=header_list)


def with_language(header_list: list, code: str) -> list:
    extra = f"; {settings.LANGUAGE_COOKIE_NAME}={code}".encode()
    return [(name, value + extra if name == b"cookie" else value) for name, value in header_list]


def close_code(header_list: list) -> Any:
    async def scenario() -> Any:
        communicator = socket(header_list)
        connected, code = await communicator.connect(timeout=TIMEOUT)
        if connected:
            message = await communicator.receive_output(timeout=TIMEOUT)
            code = message.get("code") if message["type"] == "websocket.close" else None
        await communicator.disconnect()
        return code

    return run(scenario())


def send(user_id: int, **params: str) -> None:
    services.notification_send(recipients=[user_id], kind=Kind.INVITATION, link="/projects/invitations/",
                               params={"actor": "Ada", "project": "Harbour", **params})


def test_anonymous_sockets_are_closed_with_4403():
    assert close_code(headers()) == CLOSE_FORBIDDEN


def test_a_token_without_the_read_scope_is_closed_with_4403():
    token = ApiTokenFactory(scopes=["write"])
    assert close_code([(b"authorization", f"Bearer {token.raw}".encode())]) == CLOSE_FORBIDDEN


def test_a_foreign_origin_is_refused():
    foreign = headers(UserFactory(), origin=b"http://evil.example")

    async def scenario() -> bool:
        communicator = socket(foreign)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        if connected:  # an unauthenticated session: closed
            message = await communicator.receive_output(timeout=TIMEOUT)
            connected = message["type"] != "websocket.close"
        await communicator.disconnect()
        return connected

    assert run(scenario()) is False


def test_the_count_arrives_live_for_ones_own_notifications_only():
    user, neighbour = UserFactory(), UserFactory()
    NotificationFactory(recipient=user)
    mine = headers(user)

    async def scenario() -> tuple[dict, dict, dict]:
        communicator = socket(mine)
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        greeting = await communicator.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(send)(neighbour.pk)  # someone else's: nothing arrives
        assert await communicator.receive_nothing(timeout=0.3)
        await database_sync_to_async(send)(user.pk, project="Gulls")
        live = await communicator.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(services.notifications_mark_all_read)(user=user)
        cleared = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        await communicator.disconnect()
        return greeting, live, cleared

    greeting, live, cleared = run(scenario())
    assert greeting == {"type": "count", "unread": 1}
    assert live["type"] == "notification" and live["unread"] == 2
    assert live["notification"]["text"] == "Ada invited you to the project “Gulls”."
    assert live["notification"]["link"] == "/projects/invitations/"
    assert live["notification"]["kind"] == Kind.INVITATION
    assert cleared == {"type": "count", "unread": 0}


def test_the_text_comes_in_the_language_the_pages_speak():
    user = UserFactory()
    chinese = with_language(headers(user), "zh-hans")

    async def scenario() -> dict:
        communicator = socket(chinese)
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        await communicator.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(send)(user.pk)
        live = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return live

    live = run(scenario())
    with translation.override("zh-hans"):
        expected = translation.gettext(MESSAGES[Kind.INVITATION]) % {"actor": "Ada", "project": "Harbour"}
    assert live["notification"]["text"] == expected


def test_binary_frames_close_the_socket():
    user = UserFactory()
    mine = headers(user)

    async def scenario() -> Any:
        communicator = socket(mine)
        assert (await communicator.connect(timeout=TIMEOUT))[0]
        await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.send_to(bytes_data=b"\x00\x01")
        message = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return message

    assert run(scenario()) == {"type": "websocket.close", "code": CLOSE_UNSUPPORTED}


def test_handshakes_are_rate_limited(settings):
    settings.WS_CONNECTS_PER_MINUTE_ACCOUNT = 2
    user = UserFactory()
    mine = headers(user)

    async def scenario() -> list[bool]:
        results = []
        for _ in range(3):
            communicator = socket(mine)
            connected, _ = await communicator.connect(timeout=TIMEOUT)
            results.append(connected)
            await communicator.disconnect()
        return results

    assert run(scenario()) == [True, True, False]
