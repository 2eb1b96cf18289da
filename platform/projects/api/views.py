from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api.views import validated
from kernel.errors import ValidationFailed
from projects import selectors, services
from projects.api.serializers import (
    ActivitySerializer,
    InvitationCreateInput,
    InvitationSerializer,
    MembershipSerializer,
    MembershipUpdateInput,
    ProjectCreateInput,
    ProjectDeleteInput,
    ProjectSerializer,
    ProjectUpdateInput,
)
from projects.models import Membership, Project
from projects.roles import Action

ARCHIVED_VALUES = {"false": False, "true": True, "all": None}


def _roles(user, projects: list[Project]) -> dict[int, str]:
    rows = Membership.objects.filter(user=user, project__in=projects).values_list("project_id", "role")
    return dict(rows)


def _project_data(request: Request, project: Project) -> dict:
    return ProjectSerializer(project, context={"roles": _roles(request.user, [project])}).data


class ProjectListView(generics.ListAPIView):
    serializer_class = ProjectSerializer

    @extend_schema(parameters=[OpenApiParameter(
        "archived", OpenApiTypes.STR, enum=list(ARCHIVED_VALUES),
        description="Archived projects only (true), active only (false, default) or all.")])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Project]:
        value = self.request.query_params.get("archived", "false").lower()
        if value not in ARCHIVED_VALUES:
            raise ValidationFailed(_("Invalid filter."), fields={
                "archived": [_("Allowed values: %(values)s.") % {"values": ", ".join(ARCHIVED_VALUES)}]})
        return selectors.project_list(user=self.request.user, archived=ARCHIVED_VALUES[value])

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        context["roles"] = _roles(self.request.user, page or [])
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    @extend_schema(request=ProjectCreateInput, responses={201: ProjectSerializer})
    def post(self, request: Request) -> Response:
        project = services.project_create(user=request.user, **validated(ProjectCreateInput, request))
        return Response(_project_data(request, project), status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(responses=ProjectSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        return Response(_project_data(request, project))

    @extend_schema(request=ProjectUpdateInput, responses=ProjectSerializer)
    def patch(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        data = validated(ProjectUpdateInput, request)
        project = services.project_update(project=project, user=request.user, **data)
        return Response(_project_data(request, project))

    # OpenAPI gives a DELETE no body (and some clients send none): the name may come in the query.
    @extend_schema(parameters=[OpenApiParameter(
        "confirm_name", str, required=True,
        description="The project's exact name, to confirm (or as `confirm_name` in a JSON body).")],
        responses={204: None}, description="Owners only; confirm_name must repeat the project's name.")
    def delete(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        given = request.data if "confirm_name" in request.data else request.query_params
        confirm = ProjectDeleteInput(data=given)
        confirm.is_valid(raise_exception=True)
        services.project_delete(project=project, user=request.user, **confirm.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectArchiveView(APIView):
    archived = True

    @extend_schema(request=None, responses=ProjectSerializer)
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        project = services.project_set_archived(project=project, user=request.user,
                                                archived=self.archived)
        return Response(_project_data(request, project))


class MemberListView(generics.ListAPIView):
    serializer_class = MembershipSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        project = selectors.project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return selectors.member_list(project=project, user=self.request.user)


class MemberDetailView(APIView):
    @extend_schema(request=MembershipUpdateInput, responses=MembershipSerializer)
    def patch(self, request: Request, project_id: int, membership_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        membership = services.membership_change_role(
            project=project, user=request.user, membership_id=membership_id,
            **validated(MembershipUpdateInput, request))
        return Response(MembershipSerializer(membership).data)

    @extend_schema(responses={204: None},
                   description="Owners remove anyone; any member may remove themselves (leave).")
    def delete(self, request: Request, project_id: int, membership_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        services.membership_remove(project=project, user=request.user, membership_id=membership_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectInvitationListView(generics.ListAPIView):
    """The project's pending invitations; invitees' addresses are shown to owners only."""

    serializer_class = InvitationSerializer

    def get_queryset(self):
        project = selectors.project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        self._show_email = selectors.invitee_emails_visible(project=project, user=self.request.user)
        return selectors.invitation_list_for_project(project=project, user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "show_email": getattr(self, "_show_email", False)}

    @extend_schema(request=InvitationCreateInput, responses={201: InvitationSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        invitation = services.invitation_create(project=project, user=request.user,
                                                **validated(InvitationCreateInput, request))
        show_email = selectors.invitee_emails_visible(project=project, user=request.user)
        return Response(InvitationSerializer(invitation, context={"show_email": show_email}).data,
                        status=status.HTTP_201_CREATED)


class ProjectInvitationDetailView(APIView):
    @extend_schema(responses={204: None}, description="Revoke a pending invitation (owners).")
    def delete(self, request: Request, project_id: int, invitation_id: int) -> Response:
        project = selectors.project_get(project_id=project_id, user=request.user)
        services.invitation_revoke(project=project, user=request.user, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyInvitationListView(generics.ListAPIView):
    serializer_class = InvitationSerializer

    def get_queryset(self):
        return selectors.invitation_list_for_user(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "show_email": True}  # the invitee's own address


class InvitationAcceptView(APIView):
    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request: Request, invitation_id: int) -> Response:
        membership = services.invitation_accept(invitation_id=invitation_id, user=request.user)
        return Response(MembershipSerializer(membership).data)


class InvitationDeclineView(APIView):
    @extend_schema(request=None, responses=InvitationSerializer)
    def post(self, request: Request, invitation_id: int) -> Response:
        invitation = services.invitation_decline(invitation_id=invitation_id, user=request.user)
        return Response(InvitationSerializer(invitation, context={"show_email": True}).data)


class ActivityListView(generics.ListAPIView):
    serializer_class = ActivitySerializer

    def get_queryset(self):
        project = selectors.project_get(project_id=self.kwargs["project_id"], user=self.request.user,
                                        action=Action.VIEW_ACTIVITY)
        return selectors.activity_list(project=project, user=self.request.user)
