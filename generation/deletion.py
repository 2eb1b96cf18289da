"""Whether a render may be deleted: an extension point for the apps above generation.

Generation cannot know what the apps above it made of a render (a work registered from it, a
gallery publication), and deleting the asset would take those with it (or leave them pointing at
nothing). So those apps register guards here (in their AppConfig.ready): each takes an asset and
returns why it must be kept, or None. Every path that deletes assets asks them first
(`generation.models.assets_delete`)."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from kernel.errors import Conflict

if TYPE_CHECKING:
    from generation.models import Asset

DeletionGuard = Callable[["Asset"], "str | None"]

_guards: list[DeletionGuard] = []


def deletion_guards_register(guard: DeletionGuard) -> None:
    """Ask `guard(asset)` before any asset is deleted; a string it returns is the reason to keep it
    (shown to the person asking: say what to do)."""
    if guard not in _guards:
        _guards.append(guard)


def asset_deletion_refusal(asset: "Asset") -> str | None:
    """Why `asset` must be kept, or None when it may be deleted."""
    for guard in _guards:
        reason = guard(asset)
        if reason:
            return reason
    return None


def assets_deletion_check(assets: Iterable["Asset"]) -> None:
    """Raise Conflict (409) with the first reason any of `assets` must be kept."""
    for asset in assets:
        reason = asset_deletion_refusal(asset)
        if reason:
            raise Conflict(reason, code="video_in_use")
