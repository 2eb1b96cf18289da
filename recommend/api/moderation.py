"""The moderators' API: the queue of reported and held works, and decisions on them (staff only;
recommend/moderation.py decides and checks). The older POST gallery/works/<id>/moderate stays."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import current_user
from kernel.api.views import validated
from recommend import moderation
from recommend.api.serializers import PublicationSerializer, publication_cards
from recommend.models import ModerationAction, ModerationDecision, ReportReason

DECISION_CHOICES = [(a.value, a.label) for a in moderation.DECISIONS]


class ReportEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    reason_label = serializers.CharField(source="get_reason_display")
    note = serializers.CharField(allow_blank=True)
    reporter = serializers.CharField(source="user.username")
    trusted = serializers.BooleanField(help_text="A verified address and an account old enough (or staff).")
    weight = serializers.FloatField(help_text="0 to 1: how much the report counts towards a hold.")
    created_at = serializers.DateTimeField()


class RegistrationEntrySerializer(serializers.Serializer):
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    certificate_url = serializers.SerializerMethodField()

    def get_certificate_url(self, obj: Any) -> str:
        return reverse("works:detail", args=[obj.public_id])


class QueueItemSerializer(serializers.Serializer):
    publication = serializers.SerializerMethodField()
    status = serializers.CharField(source="publication.status",
                                   help_text="published, held, removed or unpublished.")
    open_reports = serializers.IntegerField()
    waiting_since = serializers.DateTimeField(allow_null=True, help_text="The oldest open report's time.")
    reports = ReportEntrySerializer(many=True, help_text="The open reports, oldest first (up to 200).")
    registration = RegistrationEntrySerializer(allow_null=True, help_text="null: not registered.")
    last_decision = serializers.IntegerField(help_text="Send it back with your decision (0: none yet).")
    creator_warnings = serializers.IntegerField(source="warnings")
    url = serializers.SerializerMethodField(help_text="The work's moderation page.")

    @extend_schema_field(PublicationSerializer)
    def get_publication(self, obj: moderation.QueueItem) -> dict[str, Any]:
        return self.context["cards"][obj.publication.pk]

    def get_url(self, obj: moderation.QueueItem) -> str:
        return reverse("gallery:moderation:detail", args=[obj.publication.public_id])


class DecisionInput(serializers.Serializer):
    publication = serializers.CharField(max_length=40, help_text="The work's id (pub_...).")
    action = serializers.ChoiceField(choices=DECISION_CHOICES, help_text=(
        "restore: published again, its hold lifted; remove: out of the gallery (the render and its "
        "registration on the chain stay); warn: a warning to the creator, the work stays published."))
    note = serializers.CharField(max_length=moderation.NOTE_MAX, required=False, allow_blank=True, default="",
                                 help_text="Why (the creator is told; needed for a warning).")
    reports = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=moderation.MAX_ID),
                                    required=False,
                                    max_length=moderation.MAX_REPORT_IDS,
                                    help_text="The open reports this settles (default: all open ones).")
    last_decision = serializers.IntegerField(min_value=0, max_value=moderation.MAX_ID, help_text=(
        "The queue item's last_decision: if someone decided since, the answer is 409 conflict."))


class DecisionSerializer(serializers.ModelSerializer):
    publication = serializers.CharField(source="publication.public_id")
    action = serializers.ChoiceField(choices=ModerationAction.choices)
    moderator = serializers.CharField(source="moderator.username", allow_null=True, default=None)
    status_before = serializers.CharField(help_text="The work's status before: published, held, removed...")
    status_after = serializers.CharField(help_text="Its status after the decision.")
    reports_settled = serializers.SerializerMethodField()

    class Meta:
        model = ModerationDecision
        fields = ["id", "publication", "action", "note", "moderator", "status_before", "status_after",
                  "reports_settled", "created_at"]
        read_only_fields = fields

    def get_reports_settled(self, obj: ModerationDecision) -> int:
        settled = getattr(obj, "settled", None)  # (annotated where decisions are listed)
        return settled if settled is not None else obj.settled_reports.count()


class HistoryEventSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["published", "reported", *ModerationAction.values])
    at = serializers.DateTimeField()
    who = serializers.CharField(source="who.username", allow_null=True, default=None,
                                help_text="The creator, reporter or moderator (null: the platform).")
    reason = serializers.CharField(allow_blank=True, help_text="A report's reason.")
    note = serializers.CharField(allow_blank=True)
    settled = serializers.BooleanField(help_text="A report a decision settled.")
    status_after = serializers.CharField(allow_blank=True, help_text="A decision's outcome.")


class ModerationItemSerializer(QueueItemSerializer):
    decisions = DecisionSerializer(many=True, help_text="Newest first (holds have no moderator).")
    history = serializers.SerializerMethodField()

    @extend_schema_field(HistoryEventSerializer(many=True))
    def get_history(self, obj: moderation.QueueItem) -> list[dict[str, Any]]:
        return list(HistoryEventSerializer(self.context["history"], many=True).data)


class ModerationView(generics.GenericAPIView):
    serializer_class = QueueItemSerializer

    @extend_schema(responses=QueueItemSerializer(many=True), description=(
        "Moderators (staff): works with open reports or held back, the most open reports first, then "
        "those waiting longest; each with its open reports, registration and last decision."))
    def get(self, request: Request) -> Response:
        queue = moderation.moderation_queue(user=request.user)
        page = list(self.paginate_queryset(queue) or [])
        items = moderation.queue_items(user=request.user, publications=page)
        cards = dict(zip([p.pk for p in page], publication_cards(request, page), strict=True))
        data = QueueItemSerializer(items, many=True, context={"request": request, "cards": cards}).data
        return self.get_paginated_response(data)

    @extend_schema(request=DecisionInput, responses={201: DecisionSerializer}, description=(
        "A moderator's decision on a work (staff). Send the queue item's last_decision: if another "
        "moderator decided meanwhile, 409 conflict; sending the same decision twice answers the first."))
    def post(self, request: Request) -> Response:
        data = validated(DecisionInput, request)
        decision = moderation.moderation_decide(
            publication_id=data["publication"], moderator=current_user(request), action=data["action"],
            note=data["note"], reports=data.get("reports"), last_decision=data["last_decision"])
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class ModerationItemView(generics.GenericAPIView):
    serializer_class = ModerationItemSerializer

    @extend_schema(responses=ModerationItemSerializer, description=(
        "Moderators (staff): a work with its open reports, registration, decisions and history "
        "(published, reported, held back, decided), in the queue or not."))
    def get(self, request: Request, publication_id: str) -> Response:
        item = moderation.moderation_item(user=request.user, publication_id=publication_id)
        history = moderation.moderation_history(user=request.user, publication=item.publication)
        cards = {item.publication.pk: publication_cards(request, [item.publication])[0]}
        return Response(ModerationItemSerializer(item, context={
            "request": request, "cards": cards, "history": history}).data)
