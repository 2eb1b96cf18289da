from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.views import current_user, validated
from generation import selectors, services
from generation.api.serializers import (
    JobCreateInput,
    JobSerializer,
    UsageSerializer,
    WebhookCreatedSerializer,
    WebhookCreateInput,
    WebhookSerializer,
)
from generation.models import Job, Webhook
from generation.quotas import usage_get
from generation.webhooks import webhook_create, webhook_delete
from projects.selectors import project_get


class JobListView(generics.ListAPIView):
    serializer_class = JobSerializer

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
