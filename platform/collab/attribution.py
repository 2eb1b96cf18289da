"""Who changed what: statistics of one update, measured while it is applied to the room's doc."""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from pycrdt import ArrayEvent, Doc, Map, TextEvent, merge_updates

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


def apply_with_stats(doc: Doc, update: bytes) -> tuple[UpdateStats, bytes]:
    """Apply `update` to `doc`; return what it changed (counted) and the part of it that was
    new to `doc` (b"" when it held nothing new, e.g. an echo). Raises ValueError if `update`
    is not a Yjs update."""
    stats = UpdateStats()
    before = scene_ids(doc)
    effective: list[bytes] = []

    def on_scenes(events: list[Any]) -> None:
        for event in events:
            path, delta = list(event.path), getattr(event, "delta", [])
            if isinstance(event, TextEvent) and len(path) == 2 and path[1] in TEXT_FIELDS:
                _text_delta(stats, delta)
            elif isinstance(event, ArrayEvent) and path and path[-1] in ("comments", "replies"):
                stats.comments += sum(len(op["insert"]) for op in delta if "insert" in op)

    scenes, title = scenes_of(doc), title_of(doc)
    subscriptions: list[tuple[Any, Any]] = [(scenes, scenes.observe_deep(on_scenes)),
                     (title, title.observe(lambda event: _text_delta(stats, getattr(event, "delta", [])))),
                     (doc, doc.observe(lambda event: effective.append(event.update)))]
    try:
        doc.apply_update(update)
    finally:
        for shared, subscription in subscriptions:
            shared.unobserve(subscription)
    after = scene_ids(doc)
    added = after - before
    stats.scenes_added, stats.scenes_removed = len(added), len(before - after)
    for scene in scenes if added else ():  # text that arrived inside new scenes counts as typed
        if isinstance(scene, Map) and scene.get("id") in added:
            stats.chars_inserted += sum(len(str(scene.get(f, ""))) for f in TEXT_FIELDS)
    return stats, merge_updates(*effective) if len(effective) > 1 else b"".join(effective)
