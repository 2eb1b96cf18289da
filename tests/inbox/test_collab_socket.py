"""A reply typed in the browser: the storyboard socket's writer queues the comment task, which
notifies the comment's author (through the whole ASGI stack, the task run eagerly)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from pycrdt import YSyncMessageType

from collab import services as collab_services
from collab.protocol import sync_message
from collab.schema import scenes_of
from collab.selectors import document_for, document_load
from core.asgi import application
from inbox.models import Kind, Notification
from tests.inbox.storyboard import comment, edit, reply
from tests.projects.factories import project_with_team
from tests.waiting import async_wait_until
from tests.ws import headers, run

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 5


@pytest.fixture
def eager_tasks():
    from core.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.mark.usefixtures("eager_tasks")
def test_a_reply_sent_over_the_storyboard_socket_notifies_the_comments_author():
    team = project_with_team()
    collab_services.scene_add(project=team.project, user=team.owner, prompt="a lighthouse")
    edit(team.project, team.owner, lambda doc: scenes_of(doc)[0]["comments"].append(
        comment(team.owner.username, "c1", "Brighter?")))
    doc, _ = document_load(document=document_for(project=team.project))
    before = doc.get_state()
    scenes_of(doc)[0]["comments"][0]["replies"].append(reply(team.editor.username, "r1", "Agreed"))
    update = doc.get_update(before)
    editor_headers = headers(team.editor)

    async def scenario() -> None:
        editor = WebsocketCommunicator(application, f"/ws/projects/{team.project.pk}/storyboard",
                                       headers=editor_headers)
        assert (await editor.connect(timeout=TIMEOUT))[0]
        await editor.receive_from(timeout=TIMEOUT)  # sync step 1
        await editor.receive_from(timeout=TIMEOUT)  # sync step 2
        await editor.send_to(bytes_data=sync_message(YSyncMessageType.SYNC_UPDATE, update))
        count = sync_to_async(lambda: Notification.objects.count())
        await async_wait_until(count, message="no notification was made")
        await editor.disconnect()

    run(scenario())
    notification = Notification.objects.get()
    assert (notification.recipient, notification.kind, notification.actor) == (
        team.owner, Kind.REPLY, team.editor)
    assert notification.params["excerpt"] == "Agreed"
