"""factory_boy factories for projects, and a project with one member of each role."""

from dataclasses import dataclass
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import User
from projects.models import Invitation, InvitationStatus, Membership, Project
from projects.roles import Role
from tests.accounts.factories import UserFactory


class ProjectFactory(DjangoModelFactory[Project]):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    description = "A storyboard about looms."
    created_by = factory.SubFactory(UserFactory)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class InvitationFactory(DjangoModelFactory[Invitation]):
    """A pending invitation to an existing user; pass `invitee=None, email=...` for e-mail."""

    class Meta:
        model = Invitation

    project = factory.SubFactory(ProjectFactory)
    invited_by = factory.LazyAttribute(lambda o: o.project.created_by)
    invitee = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda o: o.invitee.email if o.invitee else "someone@example.com")
    role = Role.EDITOR
    status = InvitationStatus.PENDING
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


@dataclass
class Team:
    project: Project
    owner: User
    editor: User
    viewer: User
    outsider: User

    def user(self, who: str) -> User:
        return getattr(self, who)

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(project=self.project, user=user)


def project_with_team(**project_fields: object) -> Team:
    """A project with an owner, an editor and a viewer, plus a user who is not a member."""
    owner = UserFactory()
    project = ProjectFactory(created_by=owner, **project_fields)
    MembershipFactory(project=project, user=owner, role=Role.OWNER)
    editor = MembershipFactory(project=project, role=Role.EDITOR).user
    viewer = MembershipFactory(project=project, role=Role.VIEWER).user
    return Team(project=project, owner=owner, editor=editor, viewer=viewer,
                outsider=UserFactory())
