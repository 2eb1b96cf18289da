"""Where the apps above the gallery plug into its pages (public, like services and selectors).

recommend knows nothing of what the apps above hang off a work; they register here, from their
`AppConfig.ready`:
- `work_page_part_register`: a part of a work's page (a template below the work, and the context
  it needs), e.g. reviews' thread and its forms;
- `moderation_part_register`: a part of the moderators' queue page, beside the reported works,
  e.g. reported reviews.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User
    from recommend.models import Publication


@dataclass(frozen=True)
class WorkPagePart:
    """A part of a work's page. `context(request, publication, viewer)` gives what its template
    needs (the viewer is None when nobody is signed in; the page has checked that the viewer may
    see the work, which may be unpublished or held for its owners and moderators); `template` is
    included below the work."""

    key: str
    template: str
    context: Callable[[HttpRequest, Publication, User | None], dict[str, Any]]


@dataclass(frozen=True)
class ModerationPart:
    """A part of the moderators' queue page. `context(request, moderator)` gives what its
    template needs (the page has checked that the person is staff)."""

    key: str
    template: str
    context: Callable[[HttpRequest, User], dict[str, Any]]


_work_parts: dict[str, WorkPagePart] = {}
_moderation_parts: dict[str, ModerationPart] = {}


def work_page_part_register(part: WorkPagePart) -> None:
    _work_parts[part.key] = part  # by key: registering twice (tests reload apps) replaces


def work_page_parts() -> list[WorkPagePart]:
    return list(_work_parts.values())


def moderation_part_register(part: ModerationPart) -> None:
    _moderation_parts[part.key] = part


def moderation_parts() -> list[ModerationPart]:
    return list(_moderation_parts.values())


def parts_render(parts: list[Any], *args: Any) -> list[dict[str, Any]]:
    """Each part as its page includes it: {"template", "context"} (the context merged into the
    page's own by the include)."""
    return [{"template": part.template, "context": part.context(*args)} for part in parts]
