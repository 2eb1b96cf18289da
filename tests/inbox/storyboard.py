"""Storyboard edits as clients make them, for the comment notification tests."""

from pycrdt import Array, Map

from collab import services as collab_services
from collab.attribution import apply_with_stats
from collab.selectors import document_for, document_load


def edit(project, user, change) -> int:
    """Edit like a client: a change on a copy of the stored doc, appended to the log as its update."""
    doc, _ = document_load(document=document_for(project=project))
    before = doc.get_state()
    change(doc)
    update = doc.get_update(before)
    stats, _ = apply_with_stats(document_load(document=document_for(project=project))[0], update)
    return collab_services.update_append(project=project, user=user, update=update, stats=stats)


def comment(author: str, comment_id: str, text: str) -> Map:
    return Map({"id": comment_id, "author": author, "author_name": author, "text": text,
                "time": "2026-01-01T00:00:00Z", "resolved": False, "replies": Array()})


def reply(author: str, reply_id: str, text: str) -> Map:
    return Map({"id": reply_id, "author": author, "author_name": author, "text": text,
                "time": "2026-01-01T00:00:00Z"})
