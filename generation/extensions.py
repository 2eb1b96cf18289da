"""Where the apps above generation plug into it (public, like services and selectors).

- Deletion guards: whether a render may be deleted. Generation cannot know what the apps above
  it made of a render (a work registered from it, a gallery publication), and deleting the asset
  would take those with it (or leave them pointing at nothing). So those apps register guards
  here (in their AppConfig.ready): each takes an asset and returns why it must be kept, or None.
  Every path that deletes assets asks them first (`generation.models.assets_delete`).
- Usage allowances: a daily allowance an app above meters (rights: chain transactions), shown
  on the Usage page and in the usage API beside the plan's own.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from django.utils import timezone

from kernel.errors import Conflict

if TYPE_CHECKING:
    from accounts.models import User
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


@dataclass(frozen=True)
class Allowance:
    """A daily allowance an app above generation meters, shown with the plan's own."""

    name: str  # for API clients, stable: "chain_transactions"
    label: str  # for people
    used: float
    limit: float
    help: str = ""  # what counts, in plain words


AllowanceSource = Callable[["User"], Allowance]
_allowance_sources: list[AllowanceSource] = []


def usage_allowances_register(source: AllowanceSource) -> None:
    """Show `source(user)` on the Usage page and in the usage API (from an AppConfig.ready)."""
    if source not in _allowance_sources:
        _allowance_sources.append(source)


def day_start() -> datetime:
    """The start of today's allowances: midnight UTC."""
    return datetime.combine(timezone.now().astimezone(UTC).date(), time.min, tzinfo=UTC)


def usage_allowance_sources() -> list[AllowanceSource]:
    return list(_allowance_sources)
