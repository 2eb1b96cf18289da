
from django.db.models import QuerySet
from django.http import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import current_user
from generation import models_manager, selectors, services
from generation.api.media import MEDIA_RESPONSES, asset_media_response
from generation.api.serializers import (
    AestheticReportSerializer,
    AssetRemixInput,
    JobCreateInput,
    JobSerializer,
    LibraryAssetSerializer,
    ModelStateSerializer,
    PresetSerializer,
    UsageSerializer,
    WebhookCreatedSerializer,
    WebhookCreateInput,
    WebhookSerializer,
)
from generation.models import Asset, Job, Webhook
from generation.presets import presets_installed
from generation.quotas import usage_get
from generation.webhooks import webhook_create, webhook_delete
from kernel.api.views import validated
from projects.selectors import project_get


class JobListView(generics.ListAPIView):
    serializer_class = JobSerializer
    token_scope = "generate"  # an API token needs the generate scope to submit (accounts.scopes)

    def get_queryset(self) -> QuerySet[Job]:
        project = project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return selectors.job_list(project=project, user=self.request.user)

    @extend_schema(request=JobCreateInput, responses={201: JobSerializer},
                   description="Queue an image or video render; it starts when a GPU worker is free.")
    def post(self, request: Request, project_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        job = services.job_submit(project=project, user=request.user, **validated(JobCreateInput, request))
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class JobDetailView(APIView):
    @extend_schema(responses=JobSerializer)
    def get(self, request: Request, project_id: int, job_id: str) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        job = selectors.job_get(project=project, user=request.user, job_id=job_id)
        return Response(JobSerializer(job, context={"request": request}).data)


class JobCancelView(APIView):
    token_scope = "generate"

    @extend_schema(request=None, responses=JobSerializer,
                   description="A queued job never starts; a running one stops at its next step.")
    def post(self, request: Request, project_id: int, job_id: str) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        job = services.job_cancel(project=project, user=request.user, job_id=job_id)
        return Response(JobSerializer(job, context={"request": request}).data)


class UsageView(APIView):
    @extend_schema(responses=UsageSerializer, description="Today's generation use against your plan.")
    def get(self, request: Request) -> Response:
        return Response(usage_get(user=current_user(request)))


class WebhookListView(generics.ListAPIView):
    serializer_class = WebhookSerializer

    def get_queryset(self) -> QuerySet[Webhook]:
        return Webhook.objects.filter(user=current_user(self.request))

    @extend_schema(request=WebhookCreateInput, responses={201: WebhookCreatedSerializer},
                   description="Be told when your jobs succeed or fail (POSTs signed with HMAC-SHA256).")
    def post(self, request: Request) -> Response:
        webhook = webhook_create(user=current_user(request), **validated(WebhookCreateInput, request))
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhook_delete(user=current_user(request), webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PresetListView(APIView):
    @extend_schema(responses=PresetSerializer(many=True),
                   description="The models jobs can use (those installed here), with their defaults and "
                               "limits.")
    def get(self, request: Request) -> Response:
        return Response(PresetSerializer(presets_installed().values(), many=True).data)


class ModelListView(APIView):
    @extend_schema(operation_id="models_list", responses=ModelStateSerializer(many=True),
                   description="Staff: every model preset, whether its weights are installed here, their "
                               "size on disk, and any install's progress.")
    def get(self, request: Request) -> Response:
        states = models_manager.preset_states(user=request.user)
        return Response(ModelStateSerializer(states, many=True).data)


class ModelDetailView(APIView):
    @extend_schema(operation_id="models_retrieve", responses=ModelStateSerializer)
    def get(self, request: Request, name: str) -> Response:
        state = models_manager.preset_state_get(user=request.user, name=name)
        return Response(ModelStateSerializer(state).data)

    @extend_schema(operation_id="models_remove", responses={204: None},
                   description="Staff: delete the model's weights directory (never a built-in tiny model's, "
                               "nor anything outside the models directory).")
    def delete(self, request: Request, name: str) -> Response:
        models_manager.model_remove(user=current_user(request), name=name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModelInstallView(APIView):
    @extend_schema(operation_id="models_install", request=None,
                   responses={202: ModelStateSerializer},
                   description="Staff: download the model's weights from the Hugging Face Hub into its "
                               "directory, in the background; its progress is in `install`. One install "
                               "per model at a time (409 while one runs).")
    def post(self, request: Request, name: str) -> Response:
        models_manager.model_install_start(user=current_user(request), name=name)
        state = models_manager.preset_state_get(user=request.user, name=name)
        return Response(ModelStateSerializer(state).data, status=status.HTTP_202_ACCEPTED)


class AssetListView(generics.ListAPIView):
    """The project's media library, newest first."""

    serializer_class = LibraryAssetSerializer

    def get_queryset(self) -> QuerySet[Asset]:
        project = project_get(project_id=self.kwargs["project_id"], user=self.request.user)
        return selectors.asset_list(project=project, user=self.request.user)


class AssetDetailView(APIView):
    @extend_schema(responses=LibraryAssetSerializer)
    def get(self, request: Request, project_id: int, asset_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        asset = selectors.asset_get(project=project, user=request.user, asset_id=asset_id)
        return Response(LibraryAssetSerializer(asset, context={"request": request}).data)


class AssetAestheticsView(APIView):
    @extend_schema(responses=AestheticReportSerializer,
                   description="The render's aesthetic report: measures of its pixels with their meaning and "
                               "where it stands among published works; pending until measured.")
    def get(self, request: Request, project_id: int, asset_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        report = selectors.asset_aesthetics(project=project, user=request.user, asset_id=asset_id)
        return Response(AestheticReportSerializer(report).data)


class AssetRemixView(APIView):
    token_scope = "generate"

    @extend_schema(request=AssetRemixInput, responses={201: JobSerializer},
                   description="A new job from this asset's settings with your changes; the asset is "
                               "recorded as its parent.")
    def post(self, request: Request, project_id: int, asset_id: int) -> Response:
        project = project_get(project_id=project_id, user=request.user)
        job = services.asset_remix(project=project, user=request.user, asset_id=asset_id,
                                   **validated(AssetRemixInput, request))
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class AssetMediaView(APIView):
    """One of an asset's files, for the project's members; `?download=1` saves it. From object
    storage (S3) the answer is a redirect to a link signed for a few minutes."""

    @extend_schema(operation_id="projects_assets_media", parameters=[OpenApiParameter("download", bool)],
                   responses=MEDIA_RESPONSES)
    def get(self, request: Request, project_id: int, asset_id: int, name: str) -> HttpResponseBase:
        project = project_get(project_id=project_id, user=request.user)
        asset = selectors.asset_get(project=project, user=request.user, asset_id=asset_id)
        return asset_media_response(request, asset, name, filename=f"{asset.job.public_id}-{asset.role}")
