"""`/v1/videos`: OpenAI's Videos API, same fields, status values, pagination and error shape."""

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import current_user
from generation.models import Asset, JobStatus
from generation.videos_api import services
from kernel.api.errors import exception_handler as platform_handler
from kernel.api.views import validated
from kernel.errors import NotFound, ValidationFailed

OPENAI_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "invalid_request_error", 409: "invalid_request_error", 429: "rate_limit_error"}


def openai_exception_handler(exc: Exception, context: dict) -> Response | None:
    """The platform's error, reshaped as OpenAI's: {"error": {"message", "type", "param", "code"}}
    (the field errors kept under "fields")."""
    response = platform_handler(exc, context)
    if response is None:
        return None
    error = response.data["error"]
    response.data = {"error": {
        "message": error["message"], "type": OPENAI_TYPES.get(response.status_code, "server_error"),
        "param": next(iter(error["fields"]), None), "code": error["code"], "fields": error["fields"]}}
    return response


class CreateVideoInput(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True)
    model = serializers.CharField(required=False, help_text="A preset, or an alias such as sora-2.")
    size = serializers.CharField(required=False, help_text="WIDTHxHEIGHT, e.g. 768x512.")
    seconds = serializers.CharField(required=False, help_text="Length of the clip, e.g. \"4\".")


class RemixInput(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True)


class VideoSerializer(serializers.Serializer):
    """OpenAI's Video object."""

    id = serializers.CharField()
    object = serializers.CharField()
    model = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "in_progress", "completed", "failed"])
    progress = serializers.IntegerField()
    created_at = serializers.IntegerField()
    completed_at = serializers.IntegerField(allow_null=True)
    expires_at = serializers.IntegerField(allow_null=True)
    prompt = serializers.CharField()
    size = serializers.CharField()
    seconds = serializers.CharField()
    remixed_from_video_id = serializers.CharField(allow_null=True)
    error = serializers.DictField(allow_null=True)


class VideoListSerializer(serializers.Serializer):
    object = serializers.CharField()
    data = VideoSerializer(many=True)  # type: ignore[assignment]
    first_id = serializers.CharField(allow_null=True)
    last_id = serializers.CharField(allow_null=True)
    has_more = serializers.BooleanField()


class VideoDeletedSerializer(serializers.Serializer):
    id = serializers.CharField()
    object = serializers.CharField()
    deleted = serializers.BooleanField()


class OpenAIErrorSerializer(serializers.Serializer):
    """OpenAI's error shape, every answer but a success's (documented as each operation's default)."""

    error = inline_serializer("OpenAIErrorDetail", fields={
        "message": serializers.CharField(), "type": serializers.CharField(),
        "param": serializers.CharField(allow_null=True), "code": serializers.CharField(),
        "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))})


ERRORS = {"default": OpenAIErrorSerializer}


class VideosView(APIView):
    def get_exception_handler(self) -> Any:
        return openai_exception_handler


@extend_schema(exclude=True)
class UnknownPathView(VideosView):
    """Any other path under /v1/ answers in OpenAI's error shape too, not with the site's page."""

    permission_classes = [AllowAny]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound(_("No API endpoint at %(path)s.") % {"path": request.path})


class VideoListView(VideosView):
    token_scope = "generate"  # POST renders; an API token needs the generate scope (accounts.scopes)

    @extend_schema(operation_id="videos_list", responses={200: VideoListSerializer, **ERRORS}, parameters=[
        OpenApiParameter("after", str), OpenApiParameter("limit", int),
        OpenApiParameter("order", str, enum=["asc", "desc"])], description="Your videos.")
    def get(self, request: Request) -> Response:
        user = current_user(request)
        order = request.query_params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ValidationFailed(_("Order is asc or desc."), fields={"order": [_("Allowed: asc, desc.")]})
        try:
            limit = max(1, min(100, int(request.query_params.get("limit", 20))))
        except ValueError:
            raise ValidationFailed(_("Limit is a number from 1 to 100."),
                                   fields={"limit": [_("From 1 to %(max)s.") % {"max": 100}]}) from None
        videos = services.video_list(user=user)
        if order == "asc":
            videos = videos.reverse()
        after = request.query_params.get("after")
        if after:
            anchor = services.video_get(user=user, video_id=after)
            videos = (videos.filter(created_at__lt=anchor.created_at) if order == "desc"
                      else videos.filter(created_at__gt=anchor.created_at))
        page = list(videos[:limit + 1])
        data = [services.video_object(job) for job in page[:limit]]
        return Response({"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None, "has_more": len(page) > limit})

    @extend_schema(operation_id="videos_create", request=CreateVideoInput,
                   responses={200: VideoSerializer, **ERRORS},
                   parameters=[OpenApiParameter("OpenAI-Project", str, OpenApiParameter.HEADER,
                                                description="A Storyloom project id (default: your own).")],
                   description="Start rendering a video.")
    def post(self, request: Request) -> Response:
        job = services.video_create(user=current_user(request),
                                    project_id=request.headers.get("OpenAI-Project"),
                                    **validated(CreateVideoInput, request))
        return Response(services.video_object(job))


class VideoDetailView(VideosView):
    token_scope = "generate"  # DELETE

    @extend_schema(operation_id="videos_retrieve", responses={200: VideoSerializer, **ERRORS})
    def get(self, request: Request, video_id: str) -> Response:
        job = services.video_get(user=current_user(request), video_id=video_id)
        return Response(services.video_object(job))

    @extend_schema(operation_id="videos_delete", responses={200: VideoDeletedSerializer, **ERRORS})
    def delete(self, request: Request, video_id: str) -> Response:
        services.video_delete(user=current_user(request), video_id=video_id)
        return Response({"id": video_id, "object": "video.deleted", "deleted": True})


class VideoRemixView(VideosView):
    token_scope = "generate"

    @extend_schema(operation_id="videos_remix", request=RemixInput,
                   responses={200: VideoSerializer, **ERRORS},
                   description="A new video from a completed one, with a new prompt.")
    def post(self, request: Request, video_id: str) -> Response:
        job = services.video_remix(user=current_user(request), video_id=video_id,
                                   **validated(RemixInput, request))
        return Response(services.video_object(job))


class VideoContentView(VideosView):
    VARIANTS = {"video": ("file", "video/mp4"), "thumbnail": ("thumbnail", "image/jpeg")}

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # OpenAI's SDKs ask for `Accept: application/binary`; the file is sent whatever the
        # Accept header says, and an error in JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(operation_id="videos_content",
                   parameters=[OpenApiParameter("variant", str, enum=["video", "thumbnail"])],
                   responses={(200, "video/mp4"): bytes, (200, "image/jpeg"): bytes, **ERRORS})
    def get(self, request: Request, video_id: str) -> Any:
        job = services.video_get(user=current_user(request), video_id=video_id)
        variant = request.query_params.get("variant", "video")
        if variant not in self.VARIANTS:
            raise ValidationFailed(_("The variant is video or thumbnail."),
                                   fields={"variant": [_("Allowed: video, thumbnail.")]})
        asset = Asset.objects.filter(job=job, role="output").first()
        if job.status != JobStatus.SUCCEEDED or asset is None:
            raise NotFound(_("The video is not completed (it is %(status)s).") % {
                "status": services.STATUS[JobStatus(job.status)]})
        field, content_type = self.VARIANTS[variant]
        handle = getattr(asset, field).open("rb")
        return FileResponse(handle, content_type=content_type, status=status.HTTP_200_OK)

