"""The gallery's API shapes: publications as cards, feed pages with reasons, preferences."""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generation.selectors import asset_media_names
from recommend.feed import FeedPage
from recommend.models import Collection, Preferences, Publication, ReportReason, Tag
from recommend.preferences import MAX_BLOCKED, MAX_WEIGHTED_TAGS
from recommend.reasons import reason_public
from recommend.selectors import ViewerFacts, viewer_facts, with_remix_counts
from recommend.services import MAX_POSITION
from rights.licences import LICENCE_URLS, LicenceKind

VARIETY_HELP = "0 (only what I like) to 100 (show me everything)."
BEACON_KINDS = [("impression", "impression"), ("view", "view"), ("share", "share")]
TASTE_HELP = ("Looks you want more (1) or less (-1) of, by aesthetic measure: "
              "colourfulness, brightness, contrast, warmth, sharpness, harmony, motion.")
REASON_CODES = [(code, code) for code in (
    "liked", "people", "follow", "interest", "popular", "fresh", "explore", "taste")]


def media_url(publication: Publication, name: str) -> str | None:
    if not getattr(publication.asset, name):
        return None
    return reverse("api-gallery-media", kwargs={"publication_id": publication.public_id, "name": name})


class CreatorRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="The creator's gallery page.")


class LicenceRefSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=LicenceKind.choices)
    name = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class RegistrationRefSerializer(serializers.Serializer):
    status = serializers.CharField()
    certificate_url = serializers.CharField()
    licence_from = serializers.CharField(allow_null=True, help_text="The lowest price of its licences on "
                                                                    "sale (e.g. \"0.01 ETH\"); null: none.")
    offers_url = serializers.CharField(help_text="Where its licences for sale are listed.")


class ViewerStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    saved = serializers.BooleanField()
    following = serializers.BooleanField()


class CountsSerializer(serializers.Serializer):
    likes = serializers.IntegerField()
    saves = serializers.IntegerField()
    views = serializers.IntegerField()
    shares = serializers.IntegerField()
    remixes = serializers.IntegerField()


class MediaSerializer(serializers.Serializer):
    file = serializers.CharField(allow_null=True)
    poster = serializers.CharField(allow_null=True)
    preview = serializers.CharField(allow_null=True)
    thumbnail = serializers.CharField(allow_null=True)


class PublicationSerializer(serializers.ModelSerializer):
    """A published work as a card shows it. `viewer` is null when logged out."""

    id = serializers.CharField(source="public_id", read_only=True)
    tags = serializers.SerializerMethodField()
    creator = serializers.SerializerMethodField()
    licence = serializers.SerializerMethodField()
    kind = serializers.CharField(source="asset.kind", read_only=True)
    width = serializers.IntegerField(source="asset.width", read_only=True)
    height = serializers.IntegerField(source="asset.height", read_only=True)
    seconds = serializers.FloatField(source="asset.seconds", read_only=True)
    media = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    registration = serializers.SerializerMethodField()
    viewer = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = ["id", "title", "description", "prompt", "tags", "language", "licence", "creator", "kind",
                  "width", "height", "seconds", "media", "counts", "registration", "viewer", "status",
                  "published_at", "url"]
        read_only_fields = fields

    def _facts(self) -> ViewerFacts:
        return self.context.get("facts") or ViewerFacts()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, obj: Publication) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    @extend_schema_field(CreatorRefSerializer)
    def get_creator(self, obj: Publication) -> dict[str, str]:
        return {"username": obj.creator.username, "name": obj.creator.name,
                "url": reverse("gallery:creator", kwargs={"username": obj.creator.username})}

    @extend_schema_field(LicenceRefSerializer)
    def get_licence(self, obj: Publication) -> dict[str, str]:
        kind = LicenceKind(obj.licence)
        return {"code": obj.licence, "name": str(kind.label), "url": LICENCE_URLS.get(kind, "")}

    @extend_schema_field(MediaSerializer)
    def get_media(self, obj: Publication) -> dict[str, str | None]:
        return {name: media_url(obj, name) for name in asset_media_names()}

    @extend_schema_field(CountsSerializer)
    def get_counts(self, obj: Publication) -> dict[str, int]:
        return {"likes": obj.likes, "saves": obj.saves, "views": obj.views, "shares": obj.shares,
                "remixes": getattr(obj, "remix_count", 0)}

    @extend_schema_field(RegistrationRefSerializer(allow_null=True))
    def get_registration(self, obj: Publication) -> dict[str, str | None] | None:
        work = self._facts().registered.get(obj.asset_id)
        if work is None:
            return None
        return {"status": work.status, "certificate_url": f"/works/{work.public_id}/",
                "licence_from": self._facts().licence_from.get(work.pk),
                "offers_url": f"/works/{work.public_id}/#offers"}

    @extend_schema_field(ViewerStateSerializer(allow_null=True))
    def get_viewer(self, obj: Publication) -> dict[str, bool] | None:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return None
        facts = self._facts()
        return {"liked": obj.pk in facts.liked, "saved": obj.pk in facts.saved,
                "following": obj.creator_id in facts.following}

    def get_url(self, obj: Publication) -> str:
        return reverse("gallery:work", kwargs={"publication_id": obj.public_id})


class ReasonRefSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class ReasonCreatorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=REASON_CODES)
    text = serializers.CharField(help_text="Shown in the card's “why this?” popover.")
    tag = serializers.CharField(allow_null=True)
    publication = ReasonRefSerializer(allow_null=True, help_text="The work you liked, for “liked”.")
    creator = ReasonCreatorSerializer(allow_null=True, help_text="The creator you follow, for “follow”.")
    measure = serializers.CharField(allow_null=True, help_text="For “taste”: the aesthetic measure that "
                                    "draws you to it (colourfulness, brightness, contrast, warmth, "
                                    "sharpness, harmony, motion).")
    end = serializers.ChoiceField(choices=["high", "low"], allow_null=True,
                                  help_text="For “taste”: which end of the measure you like.")


class FeedItemSerializer(serializers.Serializer):
    publication = PublicationSerializer()
    reason = ReasonSerializer()
    position = serializers.IntegerField(help_text="Place in the feed session, from 0 (send it back with "
                                                  "signals).")


class FeedPageSerializer(serializers.Serializer):
    feed = serializers.CharField(help_text="The feed session (send it back with signals).")
    items = FeedItemSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as ?cursor= for the next page.")


def publication_cards(request: Any, publications: list[Publication]) -> list[dict[str, Any]]:
    """Publications as cards, for the API and the pages alike: one query each for the viewer's
    likes, saves and follows, and one serializer for all (its fields are built once)."""
    missing = [p for p in publications if not hasattr(p, "remix_count")]
    if missing:
        with_remix_counts(missing)
    facts = viewer_facts(user=request.user, publications=publications)
    context = {"request": request, "facts": facts}
    return list(PublicationSerializer(publications, many=True, context=context).data)


def feed_items(request: Any, page: FeedPage) -> list[dict[str, Any]]:
    """A feed page's items: {publication: card, reason, position}."""
    publications = [item.publication for item in page.items]
    facts = viewer_facts(user=request.user, publications=publications,
                         reasons=[item.reason for item in page.items])
    cards = PublicationSerializer(publications, many=True, context={"request": request, "facts": facts}).data
    return [{"publication": card, "reason": reason_public(item.reason, facts), "position": item.position}
            for item, card in zip(page.items, cards, strict=True)]


class PublishInput(serializers.Serializer):
    asset = serializers.IntegerField(help_text="One of the project's renders.")
    title = serializers.CharField(max_length=140)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=41), required=False, default=list,
                                 max_length=10, help_text="Up to 10 tags (letters, digits, - and _).")
    language = serializers.CharField(max_length=10, required=False, allow_blank=True, default="",
                                     help_text="A language code (default: your language).")
    licence = serializers.ChoiceField(choices=LicenceKind.choices, required=False, allow_blank=True,
                                      default="", help_text="A registered work keeps its licence.")


class PublicationUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=140, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=41), required=False, max_length=10)
    language = serializers.CharField(max_length=10, required=False)
    licence = serializers.ChoiceField(choices=LicenceKind.choices, required=False)
    status = serializers.ChoiceField(choices=["published", "unpublished"], required=False)


class ContextInput(serializers.Serializer):
    feed = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(min_value=0, max_value=MAX_POSITION, required=False, allow_null=True,
                                        default=None)
    reason = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class SaveInput(ContextInput):
    collection = serializers.CharField(max_length=80, required=False, allow_blank=True, default="",
                                       help_text="Default: “Saved”.")


class HideInput(ContextInput):
    less_like_it = serializers.BooleanField(required=False, default=False,
                                            help_text="Also show fewer works like it.")


class ReportInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ModerateInput(serializers.Serializer):
    remove = serializers.BooleanField(help_text="true: remove the work; false: publish it again.")


class GalleryRemixInput(serializers.Serializer):
    project = serializers.IntegerField(help_text="One of your projects, where you may generate.")
    prompt = serializers.CharField(required=False, max_length=2000)
    seed = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**32 - 1)


class SignalEventInput(serializers.Serializer):
    publication = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=BEACON_KINDS)
    dwell_ms = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=3_600_000)
    feed = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_POSITION)
    reason = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class SignalsInput(serializers.Serializer):
    # Counted before any event is validated: a body of 10,000 events costs one check.
    events: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=SignalEventInput(), allow_empty=False, max_length=settings.RECOMMEND_SIGNALS_PER_BATCH,
        help_text=f"1 to {settings.RECOMMEND_SIGNALS_PER_BATCH} events. From navigator.sendBeacon, send a "
        "form with `events` as a JSON string and `csrfmiddlewaretoken`.")


class TagWeightField(serializers.DictField):
    child = serializers.FloatField(min_value=-1, max_value=2)


class PreferencesSerializer(serializers.ModelSerializer):
    tag_weights = TagWeightField(help_text="{tag: weight}, weights from -1 (less) to 2 (much more).")
    blocked_tags = serializers.SerializerMethodField()
    blocked_creators = serializers.SerializerMethodField()
    variety = serializers.IntegerField(help_text=VARIETY_HELP)
    onboarded = serializers.SerializerMethodField()
    taste = serializers.DictField(child=serializers.IntegerField(), help_text=TASTE_HELP)

    class Meta:
        model = Preferences
        fields = ["tag_weights", "blocked_tags", "blocked_creators", "variety", "taste", "onboarded"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blocked_tags(self, obj: Preferences) -> list[str]:
        return sorted(tag.name for tag in obj.blocked_tags.all())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blocked_creators(self, obj: Preferences) -> list[str]:
        return sorted(user.username for user in obj.blocked_creators.all())

    def get_onboarded(self, obj: Preferences) -> bool:
        return obj.onboarded_at is not None


class BoundedTagWeightField(TagWeightField):
    """At most MAX_WEIGHTED_TAGS entries, counted before each one is read."""

    def to_internal_value(self, data: Any) -> dict[str, float]:
        if isinstance(data, dict) and len(data) > MAX_WEIGHTED_TAGS:
            raise serializers.ValidationError(_("At most %(n)s tags.") % {"n": MAX_WEIGHTED_TAGS})
        return dict(super().to_internal_value(data))


class PreferencesInput(serializers.Serializer):
    tag_weights = BoundedTagWeightField(required=False)
    blocked_tags = serializers.ListField(child=serializers.CharField(max_length=41), required=False,
                                         max_length=MAX_BLOCKED)
    blocked_creators = serializers.ListField(child=serializers.CharField(max_length=150), required=False,
                                             max_length=MAX_BLOCKED, help_text="Usernames.")
    variety = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text=VARIETY_HELP)
    taste = serializers.DictField(child=serializers.IntegerField(min_value=-1, max_value=1), required=False,
                                  help_text=TASTE_HELP)


class OnboardingInput(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=41), max_length=10,
                                 help_text="A few tags you like (none to skip).")
    variety = serializers.IntegerField(min_value=0, max_value=100, required=False, help_text=VARIETY_HELP)


class TagSerializer(serializers.ModelSerializer):
    works = serializers.IntegerField(help_text="Published works with this tag.")

    class Meta:
        model = Tag
        fields = ["name", "works"]


class CollectionSerializer(serializers.ModelSerializer):
    count = serializers.IntegerField()

    class Meta:
        model = Collection
        fields = ["id", "name", "count", "created_at"]


class CreatorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    bio = serializers.CharField()
    works = serializers.IntegerField()
    followers = serializers.IntegerField()
    following = serializers.IntegerField()
    followed_by_me = serializers.BooleanField(allow_null=True, help_text="null when logged out.")


class ReceptionDriverSerializer(serializers.Serializer):
    measure = serializers.CharField(help_text="An aesthetic measure, or “text” (its subject and wording).")
    effect = serializers.ChoiceField(choices=["raises", "lowers"])
    text = serializers.CharField(help_text="In words, in the viewer's language.")
    weight = serializers.FloatField(help_text="Its contribution to the log-odds.")


RECEPTION_STATUSES = [(status, status) for status in ("ready", "pending", "unavailable")]


class ReceptionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RECEPTION_STATUSES)
    detail = serializers.CharField(required=False, help_text="What it waits for (pending, unavailable).")
    probability = serializers.FloatField(required=False, help_text="That a viewer shown it takes it up.")
    percentile = serializers.FloatField(required=False, help_text="% of published works predicted lower.")
    model = serializers.CharField(required=False, help_text="The model version that predicted it.")
    drivers = ReceptionDriverSerializer(many=True, required=False)


class ColourCardSerializer(PublicationSerializer):
    match = serializers.FloatField(help_text="How much of the work is near the colour asked for (0 to 1).")

    class Meta(PublicationSerializer.Meta):
        fields = [*PublicationSerializer.Meta.fields, "match"]
