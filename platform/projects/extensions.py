"""Where the apps above projects plug into it (public, like services and selectors).

projects knows nothing of storyboards, renders, works or the gallery; they register here:
- `verbs_register`: how their activity verbs read in a project's feed;
- `access_changed`: a signal sent after someone's access to a project changed (collab closes or
  downgrades its storyboard sockets);
- `project_deletion_hooks_register`: called inside a project's deletion, before its row goes, so
  that each app removes what it keeps of the project (files included) or says why it stays;
- `project_page_part_register`: a part of the project page (a template in one of the page's
  slots, and the context it needs), e.g. rights' registered works or generation's studio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from projects.activity import VERB_TEXT

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project

# Sent with project_id (int) and user_id (int, or None: everyone's access changed, e.g. the
# project was deleted), after the change has committed.
access_changed = Signal()


def verbs_register(texts: dict[str, Callable[[dict[str, Any]], str]]) -> None:
    VERB_TEXT.update(texts)


SLOTS = ("after_members", "workspace")


@dataclass(frozen=True)
class PagePart:
    """A part of the project page. `context` gives what its template needs (for a member of the
    project: the page has checked that); `template` ("" for none) is included in `slot`."""

    key: str
    context: Callable[[Project, User], dict[str, Any]]
    template: str = ""
    slot: str = "after_members"


_page_parts: dict[str, PagePart] = {}


def project_page_part_register(part: PagePart) -> None:
    if part.slot not in SLOTS:
        raise ValueError(f"unknown project page slot {part.slot!r} (one of {SLOTS})")
    _page_parts[part.key] = part  # by key: registering twice (tests reload apps) replaces


def project_page_parts() -> list[PagePart]:
    return list(_page_parts.values())


ProjectDeletionHook = Callable[["Project"], None]
_deletion_hooks: list[ProjectDeletionHook] = []


def project_deletion_hooks_register(hook: ProjectDeletionHook) -> None:
    """Call `hook(project)` inside a project's deletion, before its row goes: the apps above
    remove what they keep of it (and its files), or raise a ServiceError saying why it stays."""
    if hook not in _deletion_hooks:
        _deletion_hooks.append(hook)


def project_deletion_hooks() -> list[ProjectDeletionHook]:
    return list(_deletion_hooks)
