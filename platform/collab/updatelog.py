"""Appending to storyboard update logs: the write path of every keystroke.

Many authors' updates to many documents go in one transaction of five statements, however
many there are. The statements are written out rather than built by the ORM: compiling the
ORM's queries cost about 1.9 ms per batch, most of a small batch's time (measured; see the
collaboration relay benchmark).
"""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.selectors import user_by_id
from collab.attribution import STAT_FIELDS, UpdateStats
from collab.models import Contribution, StoryboardDocument, StoryboardUpdate
from kernel.errors import ServiceError
from kernel.sql import placeholders, table
from kernel.tasks import enqueue_on_commit
from projects.roles import Action
from projects.selectors import action_refusal, member_roles, project_find
from projects.services import activity_record

if TYPE_CHECKING:
    pass


@dataclass
class LogEntry:
    """One author's update to one project's storyboard, measured by apply_with_stats."""

    project_id: int
    user_id: int
    update: bytes
    stats: UpdateStats


@dataclass
class _Document:
    pk: int
    head_seq: int
    snapshot_seq: int
    first_new: int = 0  # the first sequence number handed out in this transaction


@transaction.atomic
def updates_append(entries: Sequence[LogEntry]) -> list[int | ServiceError]:
    """Append updates of any documents and authors to their logs in one transaction.

    Returns, for each entry, its sequence number or why it was refused (the author may not
    edit the storyboard: not a member, a viewer, an archived project); a refusal writes nothing
    for that entry and does not stop the others. A document's entries get consecutive numbers
    in the order given.
    """
    if not entries:
        return []
    authors = member_roles({(e.project_id, e.user_id) for e in entries})
    results: list[int | ServiceError] = []
    accepted: list[tuple[int, LogEntry]] = []
    for index, entry in enumerate(entries):
        role, archived = authors.get((entry.project_id, entry.user_id), (None, False))
        refusal = action_refusal(role=role, archived=archived, action=Action.EDIT_STORYBOARD)
        results.append(refusal or 0)  # 0: its sequence number, below
        if refusal is None:
            accepted.append((index, entry))
    if not accepted:
        return results
    documents = _documents_locked({entry.project_id for _, entry in accepted})
    now = timezone.now()
    rows = []
    for index, entry in accepted:
        document = documents[entry.project_id]
        document.head_seq += 1
        document.first_new = document.first_new or document.head_seq
        results[index] = document.head_seq
        rows.append((document.pk, document.head_seq, entry.user_id, entry.update, now))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table(StoryboardUpdate)} (document_id, seq, user_id, data, created_at) "
            "VALUES (%s, %s, %s, %s, %s)", rows)
        cursor.executemany(f"UPDATE {table(StoryboardDocument)} SET head_seq = %s, updated_at = %s "
                           "WHERE id = %s", [(d.head_seq, now, d.pk) for d in documents.values()])
        _count(cursor, [(documents[entry.project_id].pk, entry) for _, entry in accepted], now)
    for document in documents.values():
        _compact_when_due(document)
    for _, entry in accepted:
        _record_scenes(entry)
    return results


def _documents_locked(project_ids: set[int]) -> dict[int, _Document]:
    """The projects' documents, locked until commit (in one order, so writers never deadlock)."""
    ids = sorted(project_ids)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: one writer

    def locked() -> dict[int, _Document]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT project_id, id, head_seq, snapshot_seq FROM {table(StoryboardDocument)} "
                           f"WHERE project_id IN ({placeholders(ids)}) ORDER BY id{lock}", ids)
            return {row[0]: _Document(*row[1:]) for row in cursor.fetchall()}

    documents = locked()
    if len(documents) < len(ids):  # rooms create theirs on load; API callers may not have
        for project_id in project_ids - documents.keys():
            StoryboardDocument.objects.get_or_create(project_id=project_id)
        documents = locked()
    return documents


def _count(cursor: object, appended: list[tuple[int, LogEntry]], now: datetime) -> None:
    """Add each author's statistics to their contribution row: one upsert statement
    (PostgreSQL and SQLite both have INSERT ... ON CONFLICT DO UPDATE)."""
    totals: dict[tuple[int, int], UpdateStats] = {}
    for document_id, entry in appended:
        key = (document_id, entry.user_id)
        totals[key] = totals[key].plus(entry.stats) if key in totals else entry.stats
    contributions = table(Contribution)
    columns = ["document_id", "user_id", *STAT_FIELDS, "last_edit_at"]
    cursor.executemany(  # type: ignore[attr-defined]
        f"INSERT INTO {contributions} ({', '.join(columns)}) VALUES ({placeholders(columns)}) "
        "ON CONFLICT (document_id, user_id) DO UPDATE SET "
        + ", ".join(f"{c} = {contributions}.{c} + excluded.{c}" for c in STAT_FIELDS)
        + ", last_edit_at = excluded.last_edit_at",
        [(document_id, user_id, *stats.values(), now) for (document_id, user_id), stats in totals.items()])


def _compact_when_due(document: _Document) -> None:
    """Queue a compaction once per STORYBOARD_COMPACT_EVERY updates past the snapshot."""
    every = settings.STORYBOARD_COMPACT_EVERY
    past = document.head_seq - document.snapshot_seq
    if past // every > (document.first_new - 1 - document.snapshot_seq) // every:

        enqueue_on_commit("collab.tasks.document_compact", document_id=document.pk)


def _record_scenes(entry: LogEntry) -> None:
    for verb, count in (("storyboard.scene_added", entry.stats.scenes_added),
                        ("storyboard.scene_removed", entry.stats.scenes_removed)):
        project = project_find(project_id=entry.project_id) if count else None
        if project is not None:  # rare: the full objects are read only here
            activity_record(project=project,
                            actor=user_by_id(entry.user_id), verb=verb,
                            data={"count": count})
