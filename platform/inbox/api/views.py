from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import current_user
from inbox import selectors, services
from inbox.api.serializers import (
    EmailKindsSerializer,
    MarkedSerializer,
    NotificationSerializer,
    UnreadCountSerializer,
)
from inbox.models import Notification
from kernel.api.views import validated
from kernel.errors import ValidationFailed

UNREAD_VALUES = {"true": True, "false": False}


class NotificationListView(generics.ListAPIView):
    """Your notifications, newest first."""

    serializer_class = NotificationSerializer

    @extend_schema(parameters=[OpenApiParameter(
        "unread", OpenApiTypes.STR, enum=list(UNREAD_VALUES),
        description="Unread ones only (true), or all (false, default).")])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Notification]:
        value = self.request.query_params.get("unread", "false").lower()
        if value not in UNREAD_VALUES:
            raise ValidationFailed("Invalid filter.", fields={
                "unread": ["Allowed values: " + ", ".join(UNREAD_VALUES) + "."]})
        return selectors.notification_list(user=current_user(self.request), unread_only=UNREAD_VALUES[value])


class UnreadCountView(APIView):
    @extend_schema(responses=UnreadCountSerializer, description="How many of your notifications are unread.")
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user_id=current_user(request).pk)})


class NotificationReadView(APIView):
    @extend_schema(request=None, responses=NotificationSerializer,
                   description="Mark one of your notifications read (again: no change).")
    def post(self, request: Request, notification_id: int) -> Response:
        notification = services.notification_mark_read(user=current_user(request),
                                                       notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(request=None, responses=MarkedSerializer, description="Mark all your notifications read.")
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=current_user(request))})


class EmailKindsView(APIView):
    @extend_schema(responses=EmailKindsSerializer,
                   description="The kinds of notification e-mailed to you in the digest.")
    def get(self, request: Request) -> Response:
        return Response({"kinds": selectors.email_kinds(user=current_user(request))})

    @extend_schema(request=EmailKindsSerializer, responses=EmailKindsSerializer)
    def put(self, request: Request) -> Response:
        data = validated(EmailKindsSerializer, request)
        return Response({"kinds": services.email_kinds_set(user=current_user(request), kinds=data["kinds"])})
