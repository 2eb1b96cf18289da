"""Publishing works to the gallery, and what viewers do with them.

Every engagement both changes the current state (a like, a save, a follow, a hide, a report) and
appends a Signal, the log the recommender trains on; counters on the publication move with it in
the same transaction. A viewer's collaborative vector is refreshed after their positive signals
(`user_vector_refresh`, on commit), so the feed follows them before the next retrain.

Fairness: what the page sends by itself counts once per viewer, work and kind within
RECOMMEND_SIGNAL_WINDOW_S, and a creator's engagement with their own work moves no counter; a work
is held for a moderator only on reports from enough trusted people (`report_weight`).
"""


from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import AccountTrust, accounts_trust
from generation.kinds import JobKind
from generation.selectors import asset_find
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.tasks import enqueue_on_commit
from projects.roles import Action
from projects.selectors import membership_require
from recommend.models import (
    Collection,
    CollectionItem,
    Follow,
    Hide,
    Like,
    Publication,
    PublicationStatus,
    Report,
    ReportReason,
    Signal,
    SignalKind,
    Tag,
)
from rights.licences import LicenceKind
from rights.selectors import registered_works
from rights.services import published_print_record

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset
    from projects.models import Project

MAX_TAGS = 10
TAG_PATTERN = re.compile(r"^[\w-]{1,40}$", re.UNICODE)
POSITIVE = {SignalKind.LIKE, SignalKind.SAVE, SignalKind.REMIX, SignalKind.SHARE, SignalKind.VIEW,
            SignalKind.REVIEW}
BEACON_KINDS = {SignalKind.IMPRESSION, SignalKind.VIEW, SignalKind.SHARE}  # sent by the page itself
MAX_DWELL_MS = 3_600_000
# A feed session is never a million works deep; the bound also keeps under the column's int range.
MAX_POSITION = 1_000_000
SAVED = "Saved"


# The language codes Django knows (not the aliases that fall back to another).
LANGUAGES = frozenset(code for code, info in LANG_INFO.items() if "fallback" not in info)


def tags_clean(raw: Iterable[str] | str, *, field: str = "tags", limit: int = MAX_TAGS) -> list[str]:
    """Tags as stored: lower case, without '#', letters, digits, '-' and '_', at most `limit`."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    cleaned: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationFailed(_("Tags are words."), fields={field: [_("Each tag is a word.")]})
        tag = unicodedata.normalize("NFKC", item).strip().lstrip("#").lower()
        if not tag:
            continue
        if not TAG_PATTERN.match(tag):
            message = _("“%(tag)s” is not a tag: use letters, digits, '-' and '_', up to 40 characters.") % {
                "tag": item}
            raise ValidationFailed(message, fields={field: [message]})
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > limit:
        message = _("At most %(n)s tags.") % {"n": limit}
        raise ValidationFailed(message, fields={field: [message]})
    return cleaned


def tags_get(names: Iterable[str]) -> list[Tag]:
    names = list(names)
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            try:
                with transaction.atomic():
                    existing[name] = Tag.objects.create(name=name)
            except IntegrityError:  # made by a concurrent request
                existing[name] = Tag.objects.get(name=name)
    return [existing[name] for name in names]


def _fields_check(*, title: str, description: str, language: str, licence: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the work a title.")]
    elif len(title.strip()) > 140:
        errors["title"] = [_("At most 140 characters.")]
    if len(description) > 2000:
        errors["description"] = [_("At most 2,000 characters.")]
    if language not in LANGUAGES:
        errors["language"] = [_("A language code such as en, fr or zh-hans.")]
    if licence not in LicenceKind.values:
        errors["licence"] = [_("One of: %(allowed)s.") % {"allowed": ", ".join(LicenceKind.values)}]
    return errors


def _registered_licence(asset: Asset) -> str | None:
    work = registered_works(asset_ids=[asset.pk]).get(asset.pk)
    return work.licence if work is not None else None


@transaction.atomic
def publication_publish(*, project: Project, user: User, asset_id: int, title: str, description: str = "",
                        tags: Iterable[str] | str = (), language: str = "", licence: str = "") -> Publication:
    """Publish one of the project's renders (its owners may). A registered work's licence is the
    one it was registered under; otherwise the owner chooses (CC BY 4.0 unless said)."""
    membership_require(project=project, user=user, action=Action.PUBLISH)
    asset = asset_find(asset_id=asset_id)
    if asset is None or asset.project_id != project.pk:
        raise NotFound(_("No such render in this project."))
    if Publication.objects.filter(asset=asset).exists():
        raise Conflict(_("This render is published already."), code="already_published")
    registered = _registered_licence(asset)
    language = (language or user.preferred_language or "en").lower()
    licence = registered or licence or LicenceKind.CC_BY
    errors = _fields_check(title=title, description=description, language=language, licence=licence)
    try:
        names = tags_clean(tags)
    except ValidationFailed as error:
        errors.update(error.fields)
    if errors:
        raise ValidationFailed(_("The publication has errors."), fields=errors)
    publication = Publication.objects.create(
        asset=asset, project=project, creator=user, title=title.strip(), description=description.strip(),
        prompt=asset.job.prompt if asset.job_id else "", language=language, licence=licence)
    publication.tags.set(tags_get(names))
    published_print_record(asset=asset)  # look-alike registrations then wait for this project's owners
    _embed_on_commit(publication)
    return publication


def _embed_on_commit(publication: Publication) -> None:
    from recommend.serving import catalogue_invalidate
    transaction.on_commit(catalogue_invalidate)
    enqueue_on_commit("recommend.tasks.publication_embed", publication_id=publication.pk)


def _owned(*, publication_id: str, user: User) -> Publication:
    publication = Publication.objects.filter(public_id=publication_id).select_related("project").first()
    if publication is None:
        raise NotFound(_("No such publication."))
    membership_require(project=publication.project, user=user, action=Action.PUBLISH)
    return publication


@transaction.atomic
def publication_update(*, publication_id: str, user: User, **changes: Any) -> Publication:
    """Change a publication's title, description, tags, language or licence, or unpublish
    (status "unpublished") and publish it again (status "published"); the project's owners may."""
    publication = _owned(publication_id=publication_id, user=user)
    status = changes.pop("status", None)
    if status is not None:
        if status not in (PublicationStatus.PUBLISHED, PublicationStatus.UNPUBLISHED):
            raise ValidationFailed(_("Status is published or unpublished."), fields={
                "status": [_("published or unpublished")]})
        if publication.status in (PublicationStatus.HELD, PublicationStatus.REMOVED):
            raise Conflict(_("A moderator is reviewing this publication."), code="under_review")
        publication.status = status
        from recommend.serving import catalogue_invalidate

        transaction.on_commit(catalogue_invalidate)
    values = {name: changes.get(name, getattr(publication, name))
              for name in ("title", "description", "language", "licence")}
    errors = _fields_check(**values)
    if "licence" in changes and (registered := _registered_licence(publication.asset)) \
            and changes["licence"] != registered:
        errors["licence"] = [_("The work is registered under %(licence)s.") % {"licence": registered}]
    names = None
    if "tags" in changes:
        try:
            names = tags_clean(changes["tags"])
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed(_("The publication has errors."), fields=errors)
    for name, value in values.items():
        setattr(publication, name, value.strip() if name in ("title", "description") else value)
    publication.save()
    if names is not None:
        publication.tags.set(tags_get(names))
    if {"title", "tags"} & set(changes):
        _embed_on_commit(publication)
    return publication


# --- engagement ------------------------------------------------------------------------------------


def _visible(publication_id: str, *, lock: bool = False) -> Publication:
    works = Publication.objects.filter(public_id=publication_id, status=PublicationStatus.PUBLISHED)
    publication = (works.select_for_update() if lock else works).first()
    if publication is None:
        raise NotFound(_("No such publication."))
    return publication


def _counts(publication: Publication, user: User) -> bool:
    """Whether this viewer's engagement moves the work's counters: a creator's own does not (the
    counters are what the feed's popularity is made of)."""
    return publication.creator_id != user.pk


def _signal(user: User, publication: Publication, kind: str, **context: Any) -> Signal:
    signal = Signal.objects.create(user=user, publication=publication, kind=kind, **context)
    if kind in POSITIVE and kind != SignalKind.VIEW:
        enqueue_on_commit("recommend.tasks.user_vector_refresh", user_id=user.pk)
    return signal


def _position_ok(position: Any) -> bool:
    return position is None or (isinstance(position, int) and not isinstance(position, bool)
                                and 0 <= position <= MAX_POSITION)


def _context(feed: str = "", position: int | None = None, reason: str = "") -> dict[str, Any]:
    if not _position_ok(position):
        raise ValidationFailed(_("The position is a whole number from 0 to %(max)s.") % {"max": MAX_POSITION},
                               fields={"position": [_("0 to %(max)s") % {"max": MAX_POSITION}]})
    return {"feed": str(feed)[:40], "position": position, "reason": str(reason)[:20]}


def signal_window_key(*, user_id: int, publication: str, kind: str) -> str:
    """The cache key that marks (viewer, work, kind) as counted for RECOMMEND_SIGNAL_WINDOW_S. The
    work's public id (random) rather than its pk keeps keys apart where a database reuses ids."""
    return f"recommend:signal:{user_id}:{publication}:{kind}"


Pair = tuple[Publication, str]


def _first_in_window(user: User, pairs: list[Pair]) -> tuple[list[Pair], list[str]]:
    """The (work, kind) pairs this viewer has not sent within the window, and the cache keys taken
    for them. The cache's atomic add decides between concurrent requests; the signal log decides
    what the cache has forgotten (a restarted embedded Valkey keeps nothing)."""
    window = settings.RECOMMEND_SIGNAL_WINDOW_S
    keyed = [(signal_window_key(user_id=user.pk, publication=p.public_id, kind=kind), (p, kind))
             for p, kind in pairs]
    seen = cache.get_many([key for key, _ in keyed])  # one round trip for a batch of repeats
    won: list[Pair] = []
    keys: list[str] = []
    for key, pair in keyed:
        if key not in seen and cache.add(key, 1, timeout=window):
            won.append(pair)
            keys.append(key)
    if won:
        since = timezone.now() - timedelta(seconds=window)
        logged = set(Signal.objects.filter(
            user=user, created_at__gte=since, publication_id__in={p.pk for p, _ in won},
            kind__in={kind for _, kind in won}).values_list("publication_id", "kind"))
        won = [(p, kind) for p, kind in won if (p.pk, kind) not in logged]
    return won, keys


def signals_batch_check(events: Any) -> None:
    """Refuse a batch that is not a list of 1 to RECOMMEND_SIGNALS_PER_BATCH events, before any
    event is looked at."""
    limit = settings.RECOMMEND_SIGNALS_PER_BATCH
    if not isinstance(events, list) or not events or len(events) > limit:
        message = _("Send 1 to %(n)s events.") % {"n": limit}
        raise ValidationFailed(message, fields={"events": [message]})


def _events_check(events: Any) -> None:
    """Refuse the whole batch over any bad event (nothing is recorded then)."""
    signals_batch_check(events)
    for index, event in enumerate(events):
        if not isinstance(event, dict) or event.get("kind") not in BEACON_KINDS:
            raise ValidationFailed(_("Event %(n)s is not an impression, a view or a share.") % {"n": index},
                                   fields={"events": [_("kind: impression, view or share")]})
        dwell = event.get("dwell_ms")
        if dwell is not None and (not isinstance(dwell, int) or not 0 <= dwell <= MAX_DWELL_MS):
            raise ValidationFailed(_("Event %(n)s: dwell_ms is whole milliseconds, up to an hour.") % {
                "n": index}, fields={"events": [_("dwell_ms: 0 to 3600000")]})
        if not _position_ok(event.get("position")):
            raise ValidationFailed(_("Event %(n)s: position is a whole number from 0 to %(max)s.") % {
                "n": index, "max": MAX_POSITION}, fields={"events": [_("position: 0 to %(max)s") % {
                    "max": MAX_POSITION}]})


@transaction.atomic
def signals_record(*, user: User, events: list[dict[str, Any]]) -> int:
    """What the page reports on its own (impressions, views with dwell time, shares), in one batch
    (navigator.sendBeacon). Each event: publication, kind, and optionally dwell_ms, feed, position,
    reason. Unknown or unpublished works are skipped (they may have gone since); bad fields are
    refused. A viewer's repeat of a kind on a work within RECOMMEND_SIGNAL_WINDOW_S, and a creator's
    events on their own works, are accepted and dropped: they would only push the work up. Returns
    how many were recorded."""
    _events_check(events)
    ids = {str(event.get("publication", "")) for event in events}
    known = {p.public_id: p for p in Publication.objects.filter(public_id__in=ids,
                                                                 status=PublicationStatus.PUBLISHED)}
    counted = [(publication, event) for event in events
               if (publication := known.get(str(event.get("publication", "")))) is not None
               and _counts(publication, user)]
    if settings.RECOMMEND_SIGNAL_WINDOW_S <= 0:  # no window: every event counts
        return _signals_write(user, counted)
    firsts: dict[tuple[int, str], tuple[Publication, dict[str, Any]]] = {}  # per (work, kind), the first
    for publication, event in counted:
        firsts.setdefault((publication.pk, event["kind"]), (publication, event))
    pairs, keys = _first_in_window(user, [(p, event["kind"]) for p, event in firsts.values()])
    try:
        return _signals_write(user, [firsts[(p.pk, kind)] for p, kind in pairs])
    except BaseException:
        cache.delete_many(keys)  # not recorded: the next one in the window may be
        raise


def _signals_write(user: User, events: list[tuple[Publication, dict[str, Any]]]) -> int:
    rows: list[Signal] = []
    views: dict[int, int] = {}
    shares: dict[int, int] = {}
    for publication, event in events:
        context = _context(event.get("feed", ""), event.get("position"), event.get("reason", ""))
        rows.append(Signal(user=user, publication=publication, kind=event["kind"],
                           dwell_ms=event.get("dwell_ms"), **context))
        if event["kind"] == SignalKind.VIEW:
            views[publication.pk] = views.get(publication.pk, 0) + 1
        elif event["kind"] == SignalKind.SHARE:
            shares[publication.pk] = shares.get(publication.pk, 0) + 1
    Signal.objects.bulk_create(rows)
    for pk, count in views.items():
        Publication.objects.filter(pk=pk).update(views=F("views") + count)
    for pk, count in shares.items():
        Publication.objects.filter(pk=pk).update(shares=F("shares") + count)
    if shares:
        enqueue_on_commit("recommend.tasks.user_vector_refresh", user_id=user.pk)
    return len(rows)


@transaction.atomic
def like_set(*, user: User, publication_id: str, liked: bool, **context: Any) -> Publication:
    context = _context(**context)
    publication = _visible(publication_id)
    if liked:
        _, created = Like.objects.get_or_create(user=user, publication=publication)
        if created:
            if _counts(publication, user):
                Publication.objects.filter(pk=publication.pk).update(likes=F("likes") + 1)
            _signal(user, publication, SignalKind.LIKE, **context)
    elif Like.objects.filter(user=user, publication=publication).delete()[0]:
        if _counts(publication, user):
            Publication.objects.filter(pk=publication.pk).update(likes=F("likes") - 1)
        _signal(user, publication, SignalKind.UNLIKE, **context)
    publication.refresh_from_db()
    return publication


def _collection(user: User, name: str | None) -> Collection:
    name = (name or SAVED).strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("A collection's name is 1 to 80 characters."), fields={
            "collection": [_("1 to 80 characters")]})
    collection, _created = Collection.objects.get_or_create(user=user, name=name)
    return collection


@transaction.atomic
def save_set(*, user: User, publication_id: str, saved: bool, collection: str | None = None,
             **context: Any) -> Publication:
    """Save to a collection ("Saved" unless named) or take it out."""
    context = _context(**context)
    publication = _visible(publication_id)
    target = _collection(user, collection)
    was_saved = CollectionItem.objects.filter(collection__user=user, publication=publication).exists()
    if saved:
        CollectionItem.objects.get_or_create(collection=target, publication=publication)
    else:
        CollectionItem.objects.filter(collection=target, publication=publication).delete()
    now_saved = CollectionItem.objects.filter(collection__user=user, publication=publication).exists()
    if now_saved != was_saved:
        if _counts(publication, user):
            Publication.objects.filter(pk=publication.pk).update(saves=F("saves") + (1 if now_saved else -1))
        _signal(user, publication, SignalKind.SAVE if now_saved else SignalKind.UNSAVE, **context)
    publication.refresh_from_db()
    return publication


@transaction.atomic
def follow_set(*, user: User, creator: User, following: bool) -> bool:
    if creator.pk == user.pk:
        raise ValidationFailed(_("You cannot follow yourself."), fields={"creator": [_("someone else")]})
    if following:
        Follow.objects.get_or_create(follower=user, creator=creator)
    else:
        Follow.objects.filter(follower=user, creator=creator).delete()
    return following


@transaction.atomic
def hide(*, user: User, publication_id: str, less_like_it: bool = False, **context: Any) -> None:
    """Never show this work again; with `less_like_it`, push works like it down as well."""
    context = _context(**context)
    publication = _visible(publication_id)
    entry, created = Hide.objects.get_or_create(user=user, publication=publication,
                                                defaults={"less_like_it": less_like_it})
    deepened = not created and less_like_it and not entry.less_like_it
    if deepened:
        Hide.objects.filter(pk=entry.pk).update(less_like_it=True)
    if created or deepened:  # a repeat logs nothing
        _signal(user, publication, SignalKind.SEE_LESS if less_like_it else SignalKind.HIDE,
                **context)


@transaction.atomic
def unhide(*, user: User, publication_id: str) -> None:
    Hide.objects.filter(user=user, publication__public_id=publication_id).delete()


def report_weight(trust: AccountTrust | None) -> tuple[float, bool]:
    """How much a report weighs (0 to 1) and whether its reporter is trusted. Half the weight is a
    verified e-mail address, half the account's age up to RECOMMEND_REPORTER_MIN_AGE_DAYS; trusted
    is both in full. Staff are trusted. Anyone can make accounts: only trusted ones can hide a work."""
    if trust is None:  # no longer active
        return 0.0, False
    if trust.staff:
        return 1.0, True
    min_age = settings.RECOMMEND_REPORTER_MIN_AGE_DAYS
    aged = min(trust.age_days / min_age, 1.0) if min_age > 0 else 1.0
    weight = 0.5 * trust.email_verified + 0.5 * aged
    return weight, trust.email_verified and aged >= 1.0


def reports_warrant_hold(*, trusted: int, weight: float) -> bool:
    """Whether open reports from `trusted` trusted people, weighing `weight` together
    (`report_weight`), hold what they report for a moderator: RECOMMEND_HOLD_AFTER_REPORTS and
    RECOMMEND_HOLD_WEIGHT. The rule for works, and for what the apps above let people report on a
    work (reviews)."""
    return trusted >= settings.RECOMMEND_HOLD_AFTER_REPORTS and weight >= settings.RECOMMEND_HOLD_WEIGHT


def _hold_if_warranted(publication: Publication) -> None:
    """Hold the work for a moderator once its open reports come from RECOMMEND_HOLD_AFTER_REPORTS
    trusted people and weigh RECOMMEND_HOLD_WEIGHT together."""
    totals = Report.objects.filter(publication=publication, resolved=False).aggregate(
        trusted=Count("id", filter=Q(trusted=True)), weight=Sum("weight"))
    if reports_warrant_hold(trusted=totals["trusted"], weight=totals["weight"] or 0.0):
        from recommend.moderation import hold_record
        from recommend.serving import catalogue_invalidate

        if Publication.objects.filter(pk=publication.pk, status=PublicationStatus.PUBLISHED).update(
                status=PublicationStatus.HELD):
            hold_record(publication=publication)  # in the work's moderation history
            transaction.on_commit(catalogue_invalidate)


@transaction.atomic
def report(*, user: User, publication_id: str, reason: str, note: str = "") -> Report:
    """Report a work: it is hidden from the reporter at once, and held back from everyone, until a
    moderator decides, once enough trusted people have reported it (_hold_if_warranted). Every
    report reaches the moderators with its weight."""
    publication = _visible(publication_id, lock=True)  # reports of one work are decided one by one
    if reason not in ReportReason.values:
        raise ValidationFailed(_("Choose a reason."), fields={
            "reason": [_("One of: %(allowed)s.") % {"allowed": ", ".join(ReportReason.values)}]})
    if len(note) > 1000:
        message = _("At most 1,000 characters.")
        raise ValidationFailed(message, fields={"note": [message]})
    if publication.creator_id == user.pk:
        raise PermissionDenied(_("You cannot report your own work; unpublish it instead."))
    weight, trusted = report_weight(accounts_trust(user_ids=[user.pk]).get(user.pk))
    entry, created = Report.objects.get_or_create(user=user, publication=publication, defaults={
        "reason": reason, "note": note.strip(), "weight": weight, "trusted": trusted})
    if created:
        Hide.objects.get_or_create(user=user, publication=publication)
        Publication.objects.filter(pk=publication.pk).update(reports=F("reports") + 1)
        _signal(user, publication, SignalKind.REPORT)
        _hold_if_warranted(publication)
    return entry


# --- for the apps above that add to a work (reviews) -----------------------------------------------
# They name a report's reasons with ReportReason and a signal's kind with SignalKind (both public
# through this module).

UPPER_SIGNAL_KINDS = {SignalKind.REVIEW}


def publication_open(*, publication_id: str, lock: bool = False) -> Publication:
    """The published work with this id, which anyone may add to; NotFound for an unpublished, held
    or removed one, as for a like. `lock` holds its row until the transaction ends."""
    return _visible(publication_id, lock=lock)


def signal_record(*, user: User, publication: Publication, kind: str) -> Signal:
    """Record what a viewer did with a work through an app above (a review: SignalKind.REVIEW), in
    the caller's transaction; the viewer's vector follows on commit, as after a like."""
    if kind not in UPPER_SIGNAL_KINDS:
        raise ValueError(f"the apps above record {sorted(UPPER_SIGNAL_KINDS)}, not {kind!r}")
    return _signal(user, publication, kind)


@transaction.atomic
def report_resolve(*, publication_id: str, moderator: User, remove: bool) -> Publication:
    """A moderator's decision on a held work: removed, or published again (reports resolved).
    Recorded as a decision (recommend.moderation.moderation_decide, which has warnings as well)."""
    from recommend.moderation import moderation_decide

    decision = moderation_decide(publication_id=publication_id, moderator=moderator,
                                 action="remove" if remove else "restore")
    return Publication.objects.get(pk=decision.publication_id)


@transaction.atomic
def gallery_remix(*, user: User, publication_id: str, project: Project, **changes: Any) -> Any:
    """Remix a published work into one of your projects (you need to be able to generate there): a
    job with the work's settings and `changes`, the work's asset recorded as its parent."""
    from generation.services import remix_submit

    publication = _visible(publication_id)
    asset = publication.asset
    if asset.kind == JobKind.STORYBOARD:
        raise ValidationFailed(_("A storyboard's render is remixed in its own project; remix one of its "
                                 "scenes instead."), fields={"publication": [_("an image or a video")]})
    job = remix_submit(project=project, user=user, asset=asset, **changes)
    _signal(user, publication, SignalKind.REMIX)
    return job
