"""The gallery and what the feed learns from.

A Publication is a project's asset its owner published with a title, description, tags and
language. Signals are the append-only log of what each viewer did (impression, view with dwell
time, like, save, remix, share, hide, report...); likes, saves, follows, hides and reports are
also kept as current state, which the feed filters and counts by. Preferences are what a viewer
told us (tags they like, blocked tags and creators, how much variety). Trained models live on disk
(ModelVersion says where); each viewer's vector is refreshed between retrains (UserVector).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rights.licences import LicenceKind


def new_publication_id() -> str:
    return f"pub_{secrets.token_hex(8)}"


class Tag(models.Model):
    name = models.SlugField(max_length=40, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"#{self.name}"


class PublicationStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")  # by its owner
    HELD = "held", _("Held back")  # reported by several people, waiting for a moderator
    REMOVED = "removed", _("Removed")  # by a moderator


class Publication(models.Model):
    public_id = models.CharField(max_length=40, unique=True, default=new_publication_id, editable=False)
    asset = models.OneToOneField("generation.Asset", on_delete=models.CASCADE, related_name="publication")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="publications")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="publications")
    title = models.CharField(max_length=140)
    description = models.TextField(max_length=2000, blank=True)
    prompt = models.TextField(blank=True)  # the render's prompt, shown and embedded
    language = models.CharField(max_length=10)
    licence = models.CharField(max_length=30, choices=LicenceKind.choices)
    tags = models.ManyToManyField(Tag, related_name="publications", blank=True)
    status = models.CharField(max_length=12, choices=PublicationStatus.choices,
                              default=PublicationStatus.PUBLISHED)
    published_at = models.DateTimeField(auto_now_add=True)
    # Counters kept by the services (the feed sorts and explains by them). Remixes are counted from
    # the jobs that name the asset as their parent, in this project or another.
    likes = models.PositiveIntegerField(default=0)
    saves = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    reports = models.PositiveIntegerField(default=0)
    # The text embedding (all-MiniLM-L6-v2, 384 float32, L2-normalised); empty until computed.
    embedding = models.BinaryField(blank=True, default=b"")

    class Meta:
        ordering = ["-published_at", "-id"]
        # No (status, published_at) index: nearly every work is published, so it selects nothing,
        # and SQLite's planner chose it over the primary key for "these 20 works, if published",
        # scanning the whole gallery. The feed reads in-memory arrays, not a newest-first query.
        indexes = [models.Index(fields=["creator", "status", "-published_at"])]

    def __str__(self) -> str:
        return self.title


class SignalKind(models.TextChoices):
    IMPRESSION = "impression", _("Shown")
    VIEW = "view", _("Viewed")
    LIKE = "like", _("Liked")
    UNLIKE = "unlike", _("Unliked")
    SAVE = "save", _("Saved")
    UNSAVE = "unsave", _("Unsaved")
    REMIX = "remix", _("Remixed")
    SHARE = "share", _("Shared")
    HIDE = "hide", _("Hidden")
    SEE_LESS = "see_less", _("Asked to see less like it")
    REPORT = "report", _("Reported")
    REVIEW = "review", _("Reviewed")


class Signal(models.Model):
    """One thing one viewer did with one publication (append-only: what the models train on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signals")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="signals")
    kind = models.CharField(max_length=12, choices=SignalKind.choices)
    dwell_ms = models.PositiveIntegerField(null=True, blank=True)  # views: how long it was watched
    feed = models.CharField(max_length=40, blank=True)  # the feed page it came from, if any
    position = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=20, blank=True)  # the reason the feed gave for showing it
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"]),
                   models.Index(fields=["publication", "kind"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.publication_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="liked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "publication"], name="recommend_like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.publication_id}"


class Collection(models.Model):
    """A viewer's list of saved works ("Saved" is made on the first save)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="recommend_collection_name")]

    def __str__(self) -> str:
        return self.name


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="saved_in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["collection", "publication"],
                                               name="recommend_collection_item_once")]

    def __str__(self) -> str:
        return f"{self.publication_id} in {self.collection_id}"


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "creator"], name="recommend_follow_once"),
                       models.CheckConstraint(condition=~models.Q(follower=models.F("creator")),
                                              name="recommend_follow_not_self")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.creator_id}"


class Hide(models.Model):
    """A work a viewer never wants to see again; `less_like_it` also pushes similar works down."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hidden")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="hidden_by")
    less_like_it = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "publication"], name="recommend_hide_once")]

    def __str__(self) -> str:
        return f"{self.user_id} hides {self.publication_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    OFFENSIVE = "offensive", _("Offensive or hateful")
    SEXUAL = "sexual", _("Sexual content")
    INFRINGES = "infringes", _("Infringes someone's rights")
    OTHER = "other", _("Something else")


class Report(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="reported_by")
    reason = models.CharField(max_length=12, choices=ReportReason.choices)
    note = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)
    # The reporter's standing when they reported (recommend.services.report_weight): a hold needs
    # enough trusted reporters and enough weight; moderators see every report with both.
    weight = models.FloatField(default=0.0)
    trusted = models.BooleanField(default=False)
    # The moderator's decision that settled it (resolved then); recommend/moderation.py.
    settled_by = models.ForeignKey("ModerationDecision", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="settled_reports")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "publication"], name="recommend_report_once")]

    def __str__(self) -> str:
        return f"{self.user_id} reports {self.publication_id}: {self.reason}"


class ModerationAction(models.TextChoices):
    HOLD = "hold", _("Held back on reports")  # by the platform, not a moderator (services.report)
    RESTORE = "restore", _("Restored")
    REMOVE = "remove", _("Removed")
    WARN = "warn", _("Creator warned")


class ModerationDecision(models.Model):
    """What was decided about a publication and when: a moderator restored, removed or warned (with
    the reports it settled), or the platform held it back on reports (no moderator). Together with
    its publication and reports, its moderation history (recommend/moderation.py)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="moderation_decisions")
    action = models.CharField(max_length=10, choices=ModerationAction.choices)
    note = models.TextField(max_length=2000, blank=True)
    status_before = models.CharField(max_length=12, choices=PublicationStatus.choices)
    status_after = models.CharField(max_length=12, choices=PublicationStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["publication", "-id"]), models.Index(fields=["-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.publication_id}"


class Preferences(models.Model):
    """What a viewer told the feed. tag_weights: {tag: weight}, weights from -1 (less) to 2 (much
    more); variety from 0 (only what I like) to 100 (show me everything); taste: {aesthetic
    measure: -1 (less of it) or 1 (more of it)}, over recommend.taste.TASTE."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="feed_preferences")
    tag_weights = models.JSONField(default=dict, blank=True)
    taste = models.JSONField(default=dict, blank=True)
    blocked_tags = models.ManyToManyField(Tag, related_name="blocked_by", blank=True)
    blocked_creators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="blocked_by", blank=True)
    variety = models.PositiveSmallIntegerField(default=30)
    onboarded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class ModelVersion(models.Model):
    """A trained collaborative model: its artifacts are in RECOMMEND_DIR/models/<version>/."""

    version = models.CharField(max_length=40, unique=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    users = models.PositiveIntegerField()
    items = models.PositiveIntegerField()
    signals = models.PositiveIntegerField()
    seconds = models.FloatField()
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return self.version


class UserVector(models.Model):
    """A viewer's collaborative factors, recomputed from their latest signals between retrains."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="feed_vector")
    model = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="user_vectors")
    factors = models.BinaryField()  # float32
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.model_id}"
