from celery import shared_task
from django.urls import reverse

from accounts.selectors import user_by_id, users_by_username
from collab.attribution import CommentRef, comment_index
from collab.models import StoryboardDocument, StoryboardUpdate
from collab.schema import doc_new
from collab.selectors import updates_after
from collab.services import document_compact as document_compact_service
from inbox.services import NotificationKind, notification_send
from projects.selectors import member_roles, project_find

# New comments one update may notify about: a client pasting hundreds does not flood inboxes.
COMMENTS_NOTIFIED_PER_UPDATE = 10
EXCERPT_CHARS = 80


@shared_task(name="collab.tasks.document_compact")
def document_compact(*, document_id: int) -> int:
    return document_compact_service(document_id=document_id)


@shared_task(name="collab.tasks.comments_notify")
def comments_notify(*, project_id: int, seq: int) -> int:
    """The log entry `seq` added comments or replies (collab.writer): tell the scene's other
    commenters about a comment, and the comment's author about a reply; returns how many new
    comments it found. The entry is compared with the document just before it, so the author
    is the entry's (who sent it), never the name a client wrote into the comment."""
    document = StoryboardDocument.objects.filter(project_id=project_id).first()
    if document is None or seq <= document.snapshot_seq:
        return 0  # folded into the snapshot meanwhile: its comments can no longer be told apart
    author_id = (StoryboardUpdate.objects.filter(document=document, seq=seq)
                 .values_list("user_id", flat=True).first())
    rows = updates_after(document_id=document.pk, seq=document.snapshot_seq, upto=seq)
    if author_id is None or not rows or rows[-1][0] != seq:
        return 0
    doc = doc_new(bytes(document.snapshot))
    for _seq, data in rows[:-1]:
        doc.apply_update(data)
    before = comment_index(doc)
    doc.apply_update(rows[-1][1])
    after = comment_index(doc)
    added = [ref for key, ref in after.items() if key not in before][:COMMENTS_NOTIFIED_PER_UPDATE]
    project = project_find(project_id=project_id) if added else None
    if project is None:
        return 0
    # Comments name their authors by username; only the project's members hear of them.
    users = users_by_username({ref.author for ref in after.values() if ref.author})
    roles = member_roles({(project_id, user.pk) for user in users.values()}) if users else {}
    members = {name: user for name, user in users.items() if (project_id, user.pk) in roles}
    actor, link = user_by_id(author_id), reverse("collab:storyboard", args=[project_id])
    for ref in added:
        if ref.parent_id is None:  # a comment: whoever else commented or replied in the scene
            kind = NotificationKind.COMMENT
            names = {other.author for other in after.values() if other.scene_id == ref.scene_id}
        else:  # a reply: the comment's author
            kind = NotificationKind.REPLY
            parent = after.get((ref.scene_id, None, ref.parent_id))
            names = {parent.author} if parent is not None else set()
        notification_send(recipients=[members[n] for n in sorted(names) if n in members], kind=kind,
                          actor=actor, link=link, params=_params(ref, project.name))
    return len(added)


def _params(ref: CommentRef, project_name: str) -> dict[str, str]:
    text = " ".join(ref.text.split())
    excerpt = text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"
    return {"project": project_name, "scene": str(ref.scene_number), "excerpt": excerpt}
