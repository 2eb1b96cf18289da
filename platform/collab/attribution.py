"""Who changed what: statistics of one update, measured while it is applied to the room's doc."""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from pycrdt import Array, ArrayEvent, Doc, Map, Text, TextEvent, merge_updates

from collab.schema import TEXT_FIELDS, scene_ids, scenes_of, title_of


@dataclass(slots=True)
class UpdateStats:
    updates: int = 1  # client updates measured (several when merged)
    chars_inserted: int = 0
    chars_deleted: int = 0
    scenes_added: int = 0
    scenes_removed: int = 0
    comments: int = 0

    def values(self) -> tuple[int, ...]:
        """In the order of STAT_FIELDS (dataclasses.asdict was a hot spot)."""
        return (self.updates, self.chars_inserted, self.chars_deleted, self.scenes_added,
                self.scenes_removed, self.comments)

    def as_dict(self) -> dict[str, int]:
        return dict(zip(STAT_FIELDS, self.values(), strict=True))

    def plus(self, other: "UpdateStats") -> "UpdateStats":
        return UpdateStats(self.updates + other.updates, self.chars_inserted + other.chars_inserted,
                           self.chars_deleted + other.chars_deleted, self.scenes_added + other.scenes_added,
                           self.scenes_removed + other.scenes_removed, self.comments + other.comments)

    @classmethod
    def combined(cls, many: Iterable["UpdateStats"]) -> "UpdateStats":
        total = cls(updates=0)
        for stats in many:
            total = total.plus(stats)
        return total


STAT_FIELDS = tuple(field.name for field in fields(UpdateStats))


def _text_delta(stats: UpdateStats, delta: list[dict[str, Any]]) -> None:
    for op in delta:
        if isinstance(op.get("insert"), str):
            stats.chars_inserted += len(op["insert"])
        elif "delete" in op:
            stats.chars_deleted += int(op["delete"])


class Attributor:
    """Measures the updates applied to one document through `apply`.

    Its observers stay registered for the document's life: subscribing and unsubscribing three
    of them per update was a tenth of the server's CPU under load. They also see updates applied
    to the document directly (another process's, for instance): those are not counted, but keep
    the known scene ids right.
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.stats = UpdateStats()
        self.effective: list[bytes] = []
        self.scene_ids = scene_ids(doc)
        self.scenes_moved = False  # the scenes array itself changed: recount the ids
        scenes, title = scenes_of(doc), title_of(doc)  # (unobserve needs the same wrappers)
        self.subscriptions: list[tuple[Any, Any]] = [
            (scenes, scenes.observe_deep(self._on_scenes)),
            (title, title.observe(lambda event: _text_delta(self.stats, getattr(event, "delta", [])))),
            (doc, doc.observe(lambda event: self.effective.append(event.update))),
        ]

    def apply(self, update: bytes) -> tuple[UpdateStats, bytes]:
        """Apply `update`; return what it changed (counted) and the part of it that was new to
        the document (b"" when it held nothing new, e.g. an echo). Raises ValueError if
        `update` is not a Yjs update."""
        if self.scenes_moved:  # by an update applied directly
            self.scene_ids, self.scenes_moved = scene_ids(self.doc), False
        stats, effective = UpdateStats(), list[bytes]()
        self.stats, self.effective = stats, effective
        self.doc.apply_update(update)
        if self.scenes_moved:
            before, self.scene_ids, self.scenes_moved = self.scene_ids, scene_ids(self.doc), False
            added = self.scene_ids - before
            stats.scenes_added, stats.scenes_removed = len(added), len(before - self.scene_ids)
            for scene in scenes_of(self.doc) if added else ():  # text in new scenes counts as typed
                if isinstance(scene, Map) and scene.get("id") in added:
                    stats.chars_inserted += sum(len(str(scene.get(f, ""))) for f in TEXT_FIELDS)
        return stats, merge_updates(*effective) if len(effective) > 1 else b"".join(effective)

    def close(self) -> None:
        for shared, subscription in self.subscriptions:
            shared.unobserve(subscription)

    def _on_scenes(self, events: list[Any]) -> None:
        stats = self.stats
        for event in events:
            path, delta = list(event.path), getattr(event, "delta", [])
            if isinstance(event, TextEvent) and len(path) == 2 and path[1] in TEXT_FIELDS:
                _text_delta(stats, delta)
            elif isinstance(event, ArrayEvent) and not path:
                self.scenes_moved = True
            elif isinstance(event, ArrayEvent) and path[-1] in ("comments", "replies"):
                stats.comments += sum(len(op["insert"]) for op in delta if "insert" in op)


def apply_with_stats(doc: Doc, update: bytes) -> tuple[UpdateStats, bytes]:
    """Attributor.apply, once."""
    attributor = Attributor(doc)
    try:
        return attributor.apply(update)
    finally:
        attributor.close()


# --- comments, for notifications (collab.tasks.comments_notify) -------------------------------


@dataclass(frozen=True, slots=True)
class CommentRef:
    """A comment or a reply as the document holds it (the author is what the client wrote)."""

    scene_id: str
    scene_number: int  # 1-based position of its scene
    comment_id: str  # a reply's own id
    parent_id: str | None  # a reply's comment
    author: str  # the author's username
    text: str


def _str(value: Any) -> str:
    return str(value) if isinstance(value, Text | str) else ""


def comment_index(doc: Doc) -> dict[tuple[str, str | None, str], CommentRef]:
    """Every comment and reply in the document, by (scene id, comment id for a reply, own id):
    client-made ids are short and only unique where they are."""
    found: dict[tuple[str, str | None, str], CommentRef] = {}
    for number, scene in enumerate(scenes_of(doc), 1):
        comments = scene.get("comments") if isinstance(scene, Map) else None
        if not isinstance(comments, Array):
            continue
        scene_id = _str(scene.get("id"))
        for comment in comments:
            if not isinstance(comment, Map):
                continue
            ref = CommentRef(scene_id, number, _str(comment.get("id")), None, _str(comment.get("author")),
                             _str(comment.get("text")))
            found[(scene_id, None, ref.comment_id)] = ref
            replies = comment.get("replies")
            for reply in replies if isinstance(replies, Array) else ():
                if isinstance(reply, Map):
                    found[(scene_id, ref.comment_id, _str(reply.get("id")))] = CommentRef(
                        scene_id, number, _str(reply.get("id")), ref.comment_id, _str(reply.get("author")),
                        _str(reply.get("text")))
    return found
