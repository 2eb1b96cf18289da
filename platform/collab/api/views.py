from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from collab import selectors, services
from collab.api.serializers import (
    ContributionSerializer,
    SceneCreateInput,
    SeqSerializer,
    StoryboardSerializer,
    VersionCreateInput,
    VersionSerializer,
)
from collab.models import Contribution, StoryboardVersion
from kernel.api.views import validated
from projects.selectors import project_get


class StoryboardView(APIView):
    @extend_schema(responses=StoryboardSerializer,
                   description="The current storyboard as JSON, prompts as plain text.")
    def get(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        return Response(selectors.storyboard_get(project=project, user=request.user))


class SceneCreateView(APIView):
    @extend_schema(request=SceneCreateInput, responses={201: SeqSerializer},
                   description="Append a scene; collaborators see it at once.")
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        seq = services.scene_add(project=project, user=request.user,
                                 **validated(SceneCreateInput, request))
        return Response({"seq": seq}, status=status.HTTP_201_CREATED)


class VersionListView(generics.ListAPIView):
    serializer_class = VersionSerializer

    def get_queryset(self) -> QuerySet[StoryboardVersion]:
        project = project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return selectors.version_list(project=project, user=self.request.user)

    @extend_schema(request=VersionCreateInput, responses={201: VersionSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        version = services.version_save(project=project, user=request.user,
                                        **validated(VersionCreateInput, request))
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetailView(APIView):
    @extend_schema(responses=StoryboardSerializer, description="Preview a saved version.")
    def get(self, request: Request, project_id: int, version_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        return Response(selectors.version_preview(project=project, user=request.user,
                                                  version_id=version_id))


class VersionRestoreView(APIView):
    @extend_schema(request=None, responses=SeqSerializer,
                   description="Restore as a new edit: collaborators keep working on top of it.")
    def post(self, request: Request, project_id: int, version_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        seq = services.version_restore(project=project, user=request.user, version_id=version_id)
        return Response({"seq": seq})


class ContributionListView(generics.ListAPIView):
    serializer_class = ContributionSerializer

    @extend_schema(description="Per-user edit statistics derived from the update log.")
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Contribution]:
        project = project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return selectors.contribution_list(project=project, user=self.request.user)
