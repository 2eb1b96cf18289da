"""The demo `up` creates on first run: three users with generated passwords, one shared project."""

import json
import secrets
from pathlib import Path

from django.db import transaction

from accounts.models import User
from accounts.services import demo_users_ensure
from collab.services import scene_add
from projects.models import Membership, Project
from projects.roles import Role
from projects.services import invitation_accept, invitation_create, project_create
from rights.services import demo_accounts_fund

DEMO_USERS = {"ada": Role.OWNER, "ben": Role.EDITOR, "chen": Role.VIEWER}
DEMO_PROJECT = "Demo: The Lighthouse Keeper"
# Ben's first draft of the six scenes (prompt, seconds, camera), written for Storyloom Tiny, the
# model a fresh install renders with (coloured shapes that move as they are told): the sun, the
# lamp, a boat, the storm, the beam and the morning, as it can draw them.
DEMO_SCENES = (
    ("A golden ball rises over the sea at dawn", 2, ""),
    ("The yellow star grows in the dark", 2, ""),
    ("An orange triangle drifts right over the sea", 2, ""),
    ("A purple square falls under a night sky", 2, ""),
    ("The yellow disc slides left at night", 2, ""),
    ("A red ball shrinks against a dusk sky", 2, ""),
)


def demo_credentials(path: Path) -> dict[str, str]:
    """Passwords are generated once and kept in var/, so every start can print them."""
    if path.exists():
        return dict(json.loads(path.read_text()))
    creds = {name: f"{name}-{secrets.token_urlsafe(6)}" for name in DEMO_USERS}
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


@transaction.atomic
def demo_ensure(*, credentials_path: Path) -> tuple[dict[str, str], bool]:
    """Create the demo on an empty database only. Return (credentials, created)."""
    if User.objects.exists() and not credentials_path.exists():
        return {}, False  # a database with real users and no demo: leave it alone
    creds = demo_credentials(credentials_path)
    if Project.objects.filter(name=DEMO_PROJECT).exists():
        return creds, False
    users = dict(zip(DEMO_USERS, demo_users_ensure(password_for=creds), strict=True))
    owner = users["ada"]
    project = project_create(user=owner, name=DEMO_PROJECT, description=(
        "A short film in six scenes: a keeper tends the last lighthouse on a drowned coast. "
        "Ben writes the prompts, Chen reviews."))
    for name, role in DEMO_USERS.items():
        user = users[name]
        if Membership.objects.filter(project=project, user=user).exists():
            continue
        invitation = invitation_create(project=project, user=owner, invitee=user.username,
                                       role=role)
        invitation_accept(invitation_id=invitation.id, user=user)
    for prompt, seconds, camera in DEMO_SCENES:
        scene_add(project=project, user=users["ben"], prompt=prompt, duration=seconds, camera=camera)
    return creds, True


def demo_fund() -> list[str]:
    """On the embedded chain: ETH and the test stablecoin for the demo team, so that they can buy
    licences in the browser; topped up at each start (and after the chain was reset)."""
    people = User.objects.filter(username__in=DEMO_USERS)
    return demo_accounts_fund(user_ids=list(people.values_list("pk", flat=True)))
