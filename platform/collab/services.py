"""Writes for storyboards: the update log, versions, restore and compaction.

Every accepted update gets the next sequence number of its document and is committed to the log
before anyone is told about it; the channel layer only carries notifications.
"""


from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from pycrdt import Doc

from collab.attribution import UpdateStats, apply_with_stats
from collab.fanout import announce_update
from collab.models import StoryboardDocument, StoryboardUpdate, StoryboardVersion
from collab.schema import doc_json, doc_new, doc_replace_content, scene_new, scenes_of
from collab.selectors import document_for, document_load
from collab.updatelog import LogEntry, updates_append
from kernel.errors import NotFound, ServiceError, ValidationFailed
from projects.roles import Action
from projects.selectors import AnyUser, membership_require
from projects.services import activity_record

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project


def update_append(*, project: Project, user: User, update: bytes, stats: UpdateStats) -> int:
    """Append one update to the project's log; return its sequence number (updates_append
    checks that the user may edit the storyboard).

    The caller has applied it to a document to measure `stats` (a ValueError there means the
    bytes were not a Yjs update and nothing is written).
    """
    result = updates_append([LogEntry(project.id, user.pk, update, stats)])[0]
    if isinstance(result, ServiceError):
        raise result
    return result


@transaction.atomic
def version_save(*, project: Project, user: AnyUser, label: str) -> StoryboardVersion:
    membership = membership_require(project=project, user=user, action=Action.SAVE_VERSION)
    label = label.strip()
    if not label or len(label) > 120:
        raise ValidationFailed(_("Give the version a label."),
                               fields={"label": [_("Between 1 and 120 characters.")]})
    document = document_for(project=project)
    doc, seq = document_load(document=document)
    version = StoryboardVersion.objects.create(document=document, label=label, snapshot=doc.get_update(),
                                               seq=seq, created_by=membership.user)
    activity_record(project=project, actor=membership.user, verb="storyboard.version_saved",
                    target=version, data={"label": label})
    return version


def _server_edit(*, project: Project, user: User, change: Callable[[Doc], None]) -> int:
    """Make an edit on the server as an ordinary logged update, announced after commit."""
    doc, _seq = document_load(document=document_for(project=project))
    base, before = doc.get_update(), doc.get_state()
    change(doc)
    update = doc.get_update(before)
    stats, _ = apply_with_stats(doc_new(base), update)
    seq = update_append(project=project, user=user, update=update, stats=stats)
    transaction.on_commit(lambda: announce_update(project_id=project.id, first=seq, last=seq, update=update),
                          robust=True)
    return seq


@transaction.atomic
def scene_add(*, project: Project, user: AnyUser, prompt: str, negative_prompt: str = "",
              duration: float = 4.0, camera: str = "", style: str = "", seed: int | None = None,
              model: str = "") -> int:
    """Append a scene (for API clients; browsers edit through the websocket)."""
    membership = membership_require(project=project, user=user, action=Action.EDIT_STORYBOARD)
    scene = scene_new(prompt=prompt, negative_prompt=negative_prompt, duration=float(duration),
                      camera=camera, style=style, seed=seed, model=model)
    return _server_edit(project=project, user=membership.user,
                        change=lambda doc: scenes_of(doc).append(scene))


@transaction.atomic
def version_restore(*, project: Project, user: AnyUser, version_id: int) -> int:
    """Restore a version as a new update on top of the current document; return its seq."""
    membership = membership_require(project=project, user=user, action=Action.RESTORE_VERSION)
    version = StoryboardVersion.objects.filter(document__project=project, pk=version_id).first()
    if version is None:
        raise NotFound(_("No such version."))
    content = doc_json(doc_new(bytes(version.snapshot)))
    seq = _server_edit(project=project, user=membership.user,
                       change=lambda doc: doc_replace_content(doc, content))
    activity_record(project=project, actor=membership.user, verb="storyboard.version_restored",
                    target=version, data={"label": version.label})
    return seq


def document_compact(*, document_id: int) -> int:
    """Fold the log into a new snapshot; updates appended meanwhile stay in the log.

    Returns the number of log entries folded.
    """
    with transaction.atomic():
        # Appends wait for the fold (a short lock); nothing they write is read or deleted here.
        document = StoryboardDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None:
            return 0
        doc, seq = document_load(document=document)
        if seq <= document.snapshot_seq:
            return 0
        # Only rows up to `seq` were read; later ones have higher numbers and are untouched.
        StoryboardDocument.objects.filter(pk=document_id).update(snapshot=doc.get_update(),
                                                                 snapshot_seq=seq)
        folded, _ = StoryboardUpdate.objects.filter(document_id=document_id, seq__lte=seq).delete()
    return folded
