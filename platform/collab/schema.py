"""The storyboard's Yjs structure, shared by the server, pycrdt clients and the browser.

Root `title`: Y.Text. Root `scenes`: Y.Array of Y.Map with
  id (str), prompt (Y.Text), negative_prompt (Y.Text), duration (seconds), camera (str),
  style (str), seed (int or null), model (str),
  comments: Y.Array of Y.Map {id, author, author_name, text, time, resolved,
                              replies: Y.Array of Y.Map {id, author, author_name, text, time}}.
Clients may write anything; readers here coerce and never trust the shape.
"""

import uuid
from typing import Any

from pycrdt import Array, Doc, Map, Text

SCENE_DEFAULTS: dict[str, Any] = {
    "duration": 4.0, "camera": "", "style": "", "seed": None, "model": "",
}
TEXT_FIELDS = ("prompt", "negative_prompt")


def doc_new(state: bytes = b"") -> Doc:
    doc: Doc = Doc()
    doc.get("title", type=Text)
    doc.get("scenes", type=Array)
    if state:
        doc.apply_update(state)
    return doc


def title_of(doc: Doc) -> Text:
    return doc.get("title", type=Text)


def scenes_of(doc: Doc) -> Array:
    return doc.get("scenes", type=Array)


def scene_new(*, prompt: str = "", negative_prompt: str = "", scene_id: str | None = None,
              **fields: Any) -> Map:
    values = {**SCENE_DEFAULTS, **fields}
    return Map({
        "id": scene_id or uuid.uuid4().hex[:12],
        "prompt": Text(prompt),
        "negative_prompt": Text(negative_prompt),
        **values,
        "comments": Array(),
    })


def _text(value: Any) -> str:
    return str(value) if isinstance(value, Text | str) else ""


def _number(value: Any, default: float | None) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _comment_json(comment: Any) -> dict[str, Any] | None:
    if not isinstance(comment, Map):
        return None
    replies = comment.get("replies")
    return {
        "id": _text(comment.get("id")),
        "author": _text(comment.get("author")),
        "author_name": _text(comment.get("author_name")),
        "text": _text(comment.get("text")),
        "time": _text(comment.get("time")),
        "resolved": comment.get("resolved") is True,
        "replies": [r for r in (_comment_json(x) for x in replies) if r is not None]
        if isinstance(replies, Array) else [],
    }


def scene_json(scene: Any) -> dict[str, Any] | None:
    if not isinstance(scene, Map):
        return None
    seed = _number(scene.get("seed"), None)
    comments = scene.get("comments")
    return {
        "id": _text(scene.get("id")),
        "prompt": _text(scene.get("prompt")),
        "negative_prompt": _text(scene.get("negative_prompt")),
        "duration": _number(scene.get("duration"), SCENE_DEFAULTS["duration"]),
        "camera": _text(scene.get("camera")),
        "style": _text(scene.get("style")),
        "seed": int(seed) if seed is not None else None,
        "model": _text(scene.get("model")),
        "comments": [c for c in (_comment_json(x) for x in comments) if c is not None]
        if isinstance(comments, Array) else [],
    }


def doc_json(doc: Doc) -> dict[str, Any]:
    scenes = [s for s in (scene_json(x) for x in scenes_of(doc)) if s is not None]
    return {"title": str(title_of(doc)), "scenes": scenes}


def scene_ids(doc: Doc) -> set[str]:
    return {_text(s.get("id")) for s in scenes_of(doc) if isinstance(s, Map)}


def doc_replace_content(doc: Doc, content: dict[str, Any]) -> None:
    """Make the document hold `content` (from doc_json) through ordinary edits (restore)."""
    title, scenes = title_of(doc), scenes_of(doc)
    with doc.transaction():
        del title[:]
        title += content.get("title", "")
        del scenes[:]
        for scene in content.get("scenes", []):
            comments = scene.get("comments", [])
            fields = {k: v for k, v in scene.items() if k not in ("id", "comments", *TEXT_FIELDS)}
            new = scene_new(prompt=scene.get("prompt", ""),
                            negative_prompt=scene.get("negative_prompt", ""),
                            scene_id=scene.get("id") or None, **fields)
            scenes.append(new)
            for comment in comments:
                new["comments"].append(Map({
                    **{k: v for k, v in comment.items() if k != "replies"},
                    "replies": Array([Map(reply) for reply in comment.get("replies", [])]),
                }))
