"""The process-wide write path: batched log appends, rooms catching up from the log, the
pub/sub fan-out after a lost subscription, and the send queue of a client that stops reading."""

import asyncio
from collections import deque

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings

from collab.attribution import Attributor, UpdateStats, apply_with_stats
from collab.consumers import StoryboardConsumer
from collab.fanout import fanout
from collab.models import Contribution, StoryboardUpdate
from collab.rooms import SeqTracker, room_for, room_release
from collab.schema import doc_json, doc_new, scene_new, scenes_of, title_of
from collab.selectors import document_for, document_load
from collab.services import document_compact
from collab.updatelog import LogEntry, updates_append
from kernel.errors import NotFound, PermissionDenied
from kernel.redis_urls import for_redis_py
from tests.projects.factories import project_with_team
from tests.waiting import async_wait_until
from tests.ws import run

pytestmark = pytest.mark.django_db(transaction=True)


def title_update(project, text: str) -> tuple[bytes, UpdateStats]:
    """An update that appends `text` to the stored title, measured as the server measures it."""
    doc, _ = document_load(document=document_for(project=project))
    before = doc.get_state()
    title_of(doc).insert(len(str(title_of(doc))), text)
    update = doc.get_update(before)
    stats, _ = apply_with_stats(document_load(document=document_for(project=project))[0], update)
    return update, stats


class Recorder:
    """A room member that keeps what the room hands it."""

    def __init__(self) -> None:
        self.updates: list[tuple[int, int]] = []

    def push(self, data: bytes) -> None:
        pass

    def push_update(self, first: int, last: int, update: bytes, message: bytes) -> None:
        self.updates.append((first, last))


def test_one_batch_serves_many_authors_and_refuses_only_who_may_not_edit():
    one, other = project_with_team(), project_with_team()
    for team in (one, other):
        document_for(project=team.project)
    a, a_stats = title_update(one.project, "dawn ")
    b, b_stats = title_update(other.project, "dusk ")
    results = updates_append([
        LogEntry(one.project.id, one.owner.id, a, a_stats),
        LogEntry(one.project.id, one.viewer.id, a, a_stats),  # a viewer: refused
        LogEntry(other.project.id, other.editor.id, b, b_stats),
        LogEntry(one.project.id, one.editor.id, a, a_stats),
        LogEntry(one.project.id, one.outsider.id, a, a_stats),  # not a member: refused
    ])
    assert results[0] == 1 and results[3] == 2 and results[2] == 1  # per document, in order
    assert isinstance(results[1], PermissionDenied) and isinstance(results[4], NotFound)
    assert "viewer" in results[1].message.lower()
    rows = StoryboardUpdate.objects.filter(document__project=one.project).order_by("seq")
    assert [(r.seq, r.user) for r in rows] == [(1, one.owner), (2, one.editor)]
    assert document_for(project=one.project).head_seq == 2
    assert doc_json(document_load(document=document_for(project=other.project))[0])["title"] == "dusk "
    counted = {c.user: (c.updates, c.chars_inserted) for c in Contribution.objects.all()}
    assert counted == {one.owner: (1, 5), one.editor: (1, 5), other.editor: (1, 5)}
    again = updates_append([LogEntry(one.project.id, one.owner.id, a, a_stats)])  # a second batch adds up
    assert again == [3]
    assert Contribution.objects.get(user=one.owner).chars_inserted == 10


def test_a_room_catches_up_with_what_the_log_got_meanwhile():
    team = project_with_team()
    update, stats = title_update(team.project, "tide")

    async def scenario():
        room = room_for(team.project.id)
        await room.load()
        member = Recorder()
        room.members.add(member)
        seq = await sync_to_async(updates_append)([LogEntry(team.project.id, team.owner.id, update, stats)])
        await room.catch_up()
        room.members.discard(member)
        await room_release(room)
        return seq[0], member.updates, doc_json(room.doc)["title"]

    seq, relayed, title = run(scenario())
    assert (relayed, title) == ([(seq, seq)], "tide")


def test_rooms_catch_up_after_their_subscription_is_dropped():
    """Pub/sub loses what is published while a subscriber reconnects; the log does not."""
    team = project_with_team()

    async def scenario():
        room = room_for(team.project.id)
        await room.load()
        await room.join()
        member = Recorder()
        room.members.add(member)
        killer = redis.asyncio.Redis.from_url(for_redis_py(settings.REDIS_URL))
        await fanout().pubsub.ping()  # the subscription's own connection, to be dropped
        name = f"storyboard-test-{id(room)}"
        await fanout().pubsub.execute_command("CLIENT", "SETNAME", name)

        async def named() -> list[dict]:
            clients = await killer.client_list(_type="pubsub")
            return [client for client in clients if client.get("name") == name]

        for client in await async_wait_until(named, timeout=10, message="the subscription was not found"):
            await killer.client_kill_filter(_id=client["id"])
        await killer.aclose()
        # Committed while the subscription is down, and never announced.
        update, stats = await sync_to_async(title_update)(team.project, "ebb")
        await sync_to_async(updates_append)([LogEntry(team.project.id, team.owner.id, update, stats)])
        await async_wait_until(lambda: member.updates, timeout=20, interval=0.1,
                               message="the room did not catch up")
        room.members.discard(member)
        title = doc_json(room.doc)["title"]
        await room_release(room)
        return member.updates, title

    relayed, title = run(scenario())
    assert relayed == [(1, 1)] and title == "ebb"


def test_a_client_that_stops_reading_is_dropped_not_waited_for():
    async def scenario():
        consumer = StoryboardConsumer()
        consumer.project_id, consumer.outbox, consumer.wakeup = 1, deque(), asyncio.Event()
        room = room_for(10**9)
        consumer.room = room
        room.members.add(consumer)
        for seq in range(1, settings.WS_OUTBOX_MAX_MESSAGES + 2):
            room.relay(seq, seq, b"update")
        return list(consumer.outbox), consumer in room.members

    outbox, still_member = run(scenario())
    assert outbox == [None] and not still_member  # None: close it (1013); it resyncs on reconnect



def test_a_rooms_attributor_keeps_counting_right_after_updates_it_did_not_measure():
    room_doc = doc_new()
    attributor = Attributor(room_doc)
    writer = doc_new(room_doc.get_update())

    def change(edit) -> bytes:
        before = writer.get_state()
        edit(writer)
        return writer.get_update(before)

    added = change(lambda doc: scenes_of(doc).append(scene_new(prompt="reef", scene_id="r")))
    room_doc.apply_update(added)  # another process's edit: applied, not measured
    typed = change(lambda doc: scenes_of(doc)[0]["prompt"].insert(4, " at dusk"))
    stats, new = attributor.apply(typed)
    assert (stats.updates, stats.chars_inserted, stats.scenes_added) == (1, len(" at dusk"), 0)
    assert new and attributor.apply(typed) == (UpdateStats(), b"")  # an echo: nothing new
    stats, _ = attributor.apply(change(lambda doc: scenes_of(doc).__delitem__(0)))
    assert (stats.scenes_added, stats.scenes_removed) == (0, 1)


@pytest.mark.parametrize("marks, upto, extra", [
    ([(1, 3), (4, 4)], 4, set()),
    ([(1, 2), (5, 6)], 2, {5, 6}),
    ([(1, 2), (5, 6), (3, 4)], 6, set()),
    ([(3, 5), (1, 4)], 5, set()),  # overlapping ranges
    ([(1, 10), (4, 6)], 10, set()),  # already seen
])
def test_seq_tracker_marks_ranges_and_finds_gaps(marks, upto, extra):
    tracker = SeqTracker()
    for first, last in marks:
        tracker.mark(first, last)
    assert (tracker.upto, tracker.extra) == (upto, extra)
    assert tracker.has(1, upto) and not tracker.has(upto + 1)
    assert tracker.missing_before(max(extra, default=upto) + 1) == [
        seq for seq in range(upto + 1, max(extra, default=upto) + 1) if seq not in extra]


def test_a_room_behind_a_compaction_gets_the_folded_entries_from_the_snapshot():
    team = project_with_team()
    document = document_for(project=team.project)

    def append(text: str) -> tuple[int, bytes]:
        update, stats = title_update(team.project, text)
        seq = updates_append([LogEntry(team.project.id, team.owner.id, update, stats)])[0]
        assert isinstance(seq, int)
        return seq, update

    async def scenario():
        room = room_for(team.project.id)
        await room.load()  # sees nothing yet
        member = Recorder()
        room.members.add(member)
        for text in ("a", "b", "c"):
            await sync_to_async(append)(text)
        await sync_to_async(document_compact)(document_id=document.pk)  # folds 1..3
        await sync_to_async(append)("d")
        seq, update = await sync_to_async(append)("e")
        await room.receive(seq, seq, update)  # announced; 1..4 are a gap, 1..3 only in the snapshot
        room.members.discard(member)
        await room_release(room)
        return member.updates, doc_json(room.doc)["title"], room.seen.upto

    relayed, title, upto = run(scenario())
    assert relayed == [(1, 3), (4, 4), (5, 5)] and title == "abcde" and upto == 5


def test_rooms_closing_together_leave_the_fan_out_clean_and_a_new_room_reopens_it():
    teams = [project_with_team() for _ in range(6)]

    async def scenario():
        rooms = [room_for(team.project.id) for team in teams]
        for room in rooms:
            await room.load()
        await asyncio.gather(*(room.join() for room in rooms))
        first = fanout()
        await asyncio.gather(*(room_release(room) for room in rooms))  # all at once
        again = room_for(teams[0].project.id)
        await again.load()
        await again.join()
        reopened = fanout()
        await room_release(again)
        return first.closed, first is not reopened, reopened.closed

    assert run(scenario()) == (True, True, True)
