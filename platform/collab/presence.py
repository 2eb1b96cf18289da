"""Awareness (presence, carets) as the server vouches for it.

A client publishes its awareness state (JSON: where its caret is, which scene it looks at); the
server replaces the state's `user` field with the account's: the display name, the username and
a colour from a fixed palette. So nobody can show up under someone else's name, and a colour is
always a plain `#rrggbb` (the browser puts it into style attributes). The colour is the one the
browser computes for avatars and comments (static/js/src/storyboard/util.js `colorOf`), so they all agree.
Everything else passes through, if the state is a JSON object of at most
settings.WS_AWARENESS_MAX_BYTES (as the client wrote it).
"""

import json
from typing import Any

from django.conf import settings

# static/js/src/storyboard/util.js PALETTE: twelve distinct colours that keep white initials readable.
PALETTE = ("#c92a2a", "#1971c2", "#2b8a3e", "#9c36b5", "#d9480f", "#0c8599",
           "#c2255c", "#5c940d", "#3b5bdb", "#b35900", "#087f5b", "#7048e8")
_MASK = 0xFFFFFFFF


def awareness_color(username: str) -> str:
    """A stable colour for a username: util.js `colorOf` (FNV-1a, then mixed), bit for bit."""
    value = 0x811C9DC5
    for char in username:
        value ^= ord(char)
        value = (value * 0x01000193) & _MASK
    value ^= value >> 15
    value = (value * 0x2C1B3C6D) & _MASK
    value ^= value >> 12
    return PALETTE[value % len(PALETTE)]


def presence_user(*, name: str, username: str) -> dict[str, str]:
    """The `user` field of an account's awareness state (what the browser's page sets too)."""
    color = awareness_color(username)
    return {"name": name, "username": username, "color": color, "colorLight": color + "33"}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: browsers' JSON.parse refuses them


def awareness_state_clean(state: str, user: dict[str, str]) -> str | None:
    """The state to relay for a client of `user`: "null" stays (the client left); an object
    gets `user` replaced; anything else (not JSON, not an object, too large) is None: dropped."""
    if state == "null":
        return state
    limit = settings.WS_AWARENESS_MAX_BYTES
    if len(state) > limit or len(state.encode()) > limit:
        return None
    try:
        parsed = json.loads(state, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    parsed["user"] = user
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))


def awareness_username(state: str) -> str | None:
    """Whose a relayed state is (the server set its `user`), or None."""
    try:
        parsed = json.loads(state)
    except (ValueError, RecursionError):
        return None
    user = parsed.get("user") if isinstance(parsed, dict) else None
    username = user.get("username") if isinstance(user, dict) else None
    return username if isinstance(username, str) else None
