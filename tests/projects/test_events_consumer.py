"""`/ws/projects/<id>/events` through the whole ASGI stack (origin check, session auth, router)."""

from typing import Any, TypeVar

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.utils import translation

from core.asgi import application
from projects import services
from projects.activity import verb_text
from projects.consumers import CLOSE_FORBIDDEN
from projects.roles import Role
from tests.accounts.factories import UserFactory
from tests.projects.factories import InvitationFactory, Team, project_with_team
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
T = TypeVar("T")


def events(project_id: int, header_list: list) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/projects/{project_id}/events",
                                 headers=header_list)


def connect_result(project_id: int, header_list: list) -> tuple[bool, Any]:
    async def scenario() -> tuple[bool, Any]:
        communicator = events(project_id, header_list)
        connected, code = await communicator.connect(timeout=TIMEOUT)
        if connected:
            # Refusals accept and then close with their code, so browsers can read it.
            message = await communicator.receive_output(timeout=TIMEOUT)
            if message["type"] == "websocket.close":
                connected, code = False, message.get("code")
        # As a server would after any close: the consumer ends before the event loop does.
        await communicator.disconnect()
        return connected, code

    return run(scenario())


@pytest.fixture
def team() -> Team:
    return project_with_team()


def test_anonymous_is_closed_with_4403(team: Team) -> None:
    assert connect_result(team.project.pk, headers()) == (False, CLOSE_FORBIDDEN)


def test_a_non_member_is_closed_with_4403(team: Team) -> None:
    assert connect_result(team.project.pk, headers(team.outsider)) == (False, CLOSE_FORBIDDEN)


def test_a_missing_project_is_closed_with_4403(team: Team) -> None:
    assert connect_result(10**9, headers(team.owner)) == (False, CLOSE_FORBIDDEN)


def test_a_foreign_origin_is_refused(team: Team) -> None:
    connected, _ = connect_result(team.project.pk,
                                  headers(team.owner, origin=b"http://evil.example"))
    assert connected is False


def test_a_member_can_ping(team: Team) -> None:
    viewer_headers = headers(team.viewer)

    async def scenario() -> Any:
        communicator = events(team.project.pk, viewer_headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await communicator.send_json_to({"type": "ping"})
        reply = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return reply

    assert run(scenario()) == {"type": "pong"}


def test_members_receive_activity_live_in_their_own_language(team: Team) -> None:
    team.owner.preferred_language = "zh-hans"
    team.owner.save(update_fields=["preferred_language"])
    newcomer = UserFactory()
    invitation = InvitationFactory(project=team.project, invitee=newcomer, role=Role.VIEWER)
    owner_headers, viewer_headers = headers(team.owner), headers(team.viewer)
    outsider_headers = headers(team.outsider)

    async def scenario() -> tuple[dict, dict]:
        owner = events(team.project.pk, owner_headers)
        viewer = events(team.project.pk, viewer_headers)
        assert (await owner.connect(timeout=TIMEOUT))[0]
        assert (await viewer.connect(timeout=TIMEOUT))[0]
        outsider = events(team.project.pk, outsider_headers)
        assert (await outsider.connect(timeout=TIMEOUT))[0]  # accepted only to be closed:
        closed = await outsider.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
        await outsider.disconnect()

        # Another user acts, in a worker thread as a web request would.
        await database_sync_to_async(services.invitation_accept)(
            invitation_id=invitation.pk, user=newcomer)

        to_owner = await owner.receive_json_from(timeout=TIMEOUT)
        to_viewer = await viewer.receive_json_from(timeout=TIMEOUT)
        assert await owner.receive_nothing(timeout=0.2)
        await owner.disconnect()
        await viewer.disconnect()
        return to_owner, to_viewer

    to_owner, to_viewer = run(scenario())
    for message in (to_owner, to_viewer):
        assert message["type"] == "activity"
        assert message["verb"] == "member.joined"
        assert message["actor"] == {"id": newcomer.id, "username": newcomer.username,
                                    "name": newcomer.name}
        assert message["data"] == {"role": "viewer"}
        assert message["target"]["type"] == "projects.membership"
        assert message["id"] and message["created_at"]
    with translation.override("en"):
        english = verb_text("member.joined", {"role": "viewer"})
    with translation.override("zh-hans"):
        chinese = verb_text("member.joined", {"role": "viewer"})
    assert to_viewer["text"] == english == "joined as Viewer"
    assert to_owner["text"] == chinese
    assert to_owner["text"]


def test_events_of_other_projects_do_not_leak(team: Team) -> None:
    elsewhere = project_with_team()
    viewer_headers = headers(team.viewer)

    async def scenario() -> bool:
        viewer = events(team.project.pk, viewer_headers)
        assert (await viewer.connect(timeout=TIMEOUT))[0]
        await database_sync_to_async(services.project_update)(
            project=elsewhere.project, user=elsewhere.owner, name="Private")
        await database_sync_to_async(services.project_update)(
            project=team.project, user=team.owner, name="Shared")
        message = await viewer.receive_json_from(timeout=TIMEOUT)
        quiet = await viewer.receive_nothing(timeout=0.2)
        await viewer.disconnect()
        return message["data"] == {"name": "Shared"} and quiet

    assert run(scenario())


def test_nothing_is_sent_when_the_change_rolls_back(team: Team) -> None:
    viewer_headers = headers(team.viewer)

    def failing_update() -> None:
        with transaction.atomic():
            services.project_update(project=team.project, user=team.owner, name="Never")
            raise RuntimeError("rolled back")

    async def scenario() -> bool:
        viewer = events(team.project.pk, viewer_headers)
        assert (await viewer.connect(timeout=TIMEOUT))[0]
        with pytest.raises(RuntimeError):
            await database_sync_to_async(failing_update)()
        quiet = await viewer.receive_nothing(timeout=0.5)
        await viewer.disconnect()
        return quiet

    assert run(scenario())
    team.project.refresh_from_db()
    assert team.project.name != "Never"
