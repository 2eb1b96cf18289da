"""Reads for storyboards: the document as the log says it is, versions and contributions."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from pycrdt import Doc

from collab.models import Contribution, StoryboardDocument, StoryboardUpdate, StoryboardVersion
from collab.schema import doc_json, doc_new
from kernel.errors import NotFound
from projects.roles import Action
from projects.selectors import AnyUser, membership_require

if TYPE_CHECKING:
    from projects.models import Project


def document_for(*, project: Project) -> StoryboardDocument:
    document, _ = StoryboardDocument.objects.get_or_create(project=project)
    return document


def document_load(*, document: StoryboardDocument) -> tuple[Doc, int]:
    """The document from its snapshot and log; returns it with the last sequence number applied."""
    doc = doc_new(bytes(document.snapshot))
    seq = document.snapshot_seq
    for update_seq, data in updates_after(document_id=document.pk, seq=seq):
        doc.apply_update(bytes(data))
        seq = update_seq
    return doc, seq


def updates_after(*, document_id: int, seq: int, upto: int | None = None) -> list[tuple[int, bytes]]:
    rows = StoryboardUpdate.objects.filter(document_id=document_id, seq__gt=seq)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    return [(s, bytes(d)) for s, d in rows.order_by("seq").values_list("seq", "data")]


def log_since(*, document_id: int, seq: int, upto: int | None = None) -> list[tuple[int, int, bytes]]:
    """What a copy that has seen everything up to `seq` lacks (up to `upto`), as (first, last,
    update). Entries since folded into the snapshot by compaction come back as one
    (seq + 1, snapshot_seq, snapshot): applying the whole snapshot adds just what was missing."""
    rows = [(s, s, d) for s, d in updates_after(document_id=document_id, seq=seq, upto=upto)]
    if rows and rows[0][0] == seq + 1:
        return rows  # nothing in between was folded
    snapshot_seq, snapshot = StoryboardDocument.objects.filter(pk=document_id).values_list(
        "snapshot_seq", "snapshot").get()
    if snapshot_seq <= seq:
        return rows
    return [(seq + 1, snapshot_seq, bytes(snapshot)), *(row for row in rows if row[0] > snapshot_seq)]


def storyboard_get(*, project: Project, user: AnyUser) -> dict[str, Any]:
    membership_require(project=project, user=user, action=Action.VIEW)
    document = document_for(project=project)
    doc, seq = document_load(document=document)
    return {**doc_json(doc), "seq": seq}


def version_list(*, project: Project, user: AnyUser) -> QuerySet[StoryboardVersion]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return StoryboardVersion.objects.filter(document__project=project).select_related("created_by")


def version_preview(*, project: Project, user: AnyUser, version_id: int) -> dict[str, Any]:
    version = version_list(project=project, user=user).filter(pk=version_id).first()
    if version is None:
        raise NotFound(_("No such version."))
    return doc_json(doc_new(bytes(version.snapshot)))


def contribution_list(*, project: Project, user: AnyUser) -> QuerySet[Contribution]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return (Contribution.objects.filter(document__project=project).select_related("user")
            .order_by("-chars_inserted", "user__username"))


def storyboard_contributions(*, project_id: int) -> list[Contribution]:
    """Who wrote the project's storyboard and how much, most text first (with their users): the
    authors of a storyboard render, and the basis of its co-owners' shares."""
    return list(Contribution.objects.filter(document__project_id=project_id)
                .select_related("user").order_by("-chars_inserted", "user_id"))
