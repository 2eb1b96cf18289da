"""Works before they go on chain: made from a generated asset or an upload, fingerprinted,
checked against what is registered, given co-owners and a licence, confirmed by every co-owner.

Default shares for a project's asset: the person who asked for the render holds half; the other
half goes to the storyboard's writers in proportion to the text each wrote (the whole to the
requester when nobody wrote any). Owners then change them; every change asks everyone again.
"""


from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import users_by_id
from collab.selectors import storyboard_contributions
from generation.selectors import asset_find
from inbox.services import NotificationKind, notification_send
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kernel.files import stored_name
from kernel.tasks import enqueue_on_commit
from projects.roles import Action, Role
from projects.selectors import membership_get, membership_require
from rights.allowance import chain_allowance_use
from rights.events import works_announce
from rights.fingerprints import (
    Fingerprints,
    UnsupportedFile,
    fingerprint,
)
from rights.keys import user_address
from rights.lookalikes import NearMatch, closeness, content_unit, near_matches
from rights.metadata import licence_text
from rights.models import (
    IN_FLIGHT,
    ChainRequest,
    LicenceKind,
    Owner,
    PublishedPrint,
    RegistrationMode,
    ReviewStatus,
    Work,
    WorkReview,
    WorkStatus,
)
from rights.origin import claim_check
from rights.selectors import consents_missing, involving, may_review
from rights.shares import TOTAL_SHARES as TOTAL

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset
    from projects.models import Project

MAX_OWNERS = 32


def _split(weights: dict[int, float]) -> dict[int, int]:
    """Basis points in proportion to the weights, summing to 10,000 (largest remainders)."""
    total = sum(weights.values())
    exact = {key: TOTAL * weight / total for key, weight in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}
    leftover = TOTAL - sum(shares.values())
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:leftover]:
        shares[key] += 1
    return {key: bps for key, bps in shares.items() if bps > 0}


def default_shares(asset: Asset) -> dict[int, int]:
    """User id → basis points, from who asked for the render and who wrote the storyboard."""
    requester = asset.job.requester_id
    writers = {c.user_id: float(c.chars_inserted) for c in
               storyboard_contributions(project_id=asset.project_id) if c.chars_inserted > 0}
    if requester is None and not writers:
        return {}
    if not writers:
        return {requester: TOTAL} if requester else {}
    if requester is None:
        return _split(writers)
    written = sum(writers.values())
    weights = {user_id: 0.5 * chars / written for user_id, chars in writers.items()}
    weights[requester] = weights.get(requester, 0.0) + 0.5
    return _split(weights)


def _refuse_exact_duplicate(sha256: str) -> None:
    existing = Work.objects.filter(sha256=sha256, status__in=IN_FLIGHT).first()
    if existing is not None:
        raise Conflict(_("This exact file is already registered as “%(title)s” (%(id)s).") % {
            "title": existing.title, "id": existing.public_id}, code="already_registered")


def _terms_sha256(licence: str, terms: str) -> str:
    return hashlib.sha256(licence_text(licence, terms).encode()).hexdigest()


def _check_licence(licence: str, terms: str) -> None:
    if licence not in LicenceKind.values:
        raise ValidationFailed(_("Choose a licence."), fields={"licence": [
            _("Choose one of: %(values)s.") % {"values": ", ".join(LicenceKind.values)}]})
    if licence == LicenceKind.CUSTOM and not terms.strip():
        raise ValidationFailed(_("Write the terms of the custom licence."),
                               fields={"terms": [_("Required for custom terms.")]})


def work_create(*, user: User, title: str, licence: str, terms: str = "", description: str = "",
                asset_id: int | None = None, upload: IO[bytes] | None = None, filename: str = "",
                mode: str = RegistrationMode.SINGLE) -> tuple[Work, list[NearMatch]]:
    """A draft work from one of a project's generated assets (its editors and owners may) or from
    a file the user uploads, fingerprinted; refused when the exact file is registered already, and
    an upload refused when the platform made the file (rights.origin). Returns it with the
    registered and published works that look like it. (`filename` is not kept: a stored name is
    random, with the extension of the type the bytes are.)"""
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationFailed(_("Give the work a title."), fields={"title": [_("1 to 200 characters.")]})
    _check_licence(licence, terms)
    if mode not in RegistrationMode.values:
        raise ValidationFailed(_("Choose how to register."), fields={"mode": [
            _("Choose one of: %(values)s.") % {"values": ", ".join(RegistrationMode.values)}]})
    if (asset_id is None) == (upload is None):
        raise ValidationFailed(_("Register a generated asset or upload a file."),
                               fields={"file": [_("Give either an asset or a file.")]})
    asset = None
    if asset_id is not None:
        asset = asset_find(asset_id=asset_id)
        if asset is None:
            raise NotFound(_("No such asset."))
        membership_require(project=asset.project, user=user, action=Action.REGISTER_WORK)
        with asset.file.storage.open(asset.file.name, "rb") as source:
            data = source.read(settings.WORK_MAX_BYTES + 1)
    else:
        assert upload is not None
        data = upload.read(settings.WORK_MAX_BYTES + 1)
    try:
        prints = fingerprint(io.BytesIO(data), max_bytes=settings.WORK_MAX_BYTES)
    except UnsupportedFile as error:
        allowed = _("A PNG, JPEG or WebP image or an MP4 or WebM video, up to %(mb)s MB.") % {
            "mb": settings.WORK_MAX_BYTES // 2**20}
        raise ValidationFailed(_("This file cannot be registered: %(why)s.") % {"why": error},
                               fields={"file": [allowed]}) from None
    if asset is None:  # before the transaction: a refused attempt stays logged
        claim_check(user=user, data=data, prints=prints)
    return _work_save(user=user, asset=asset, data=data, prints=prints, title=title,
                      description=description, licence=licence, terms=terms, mode=mode)


@transaction.atomic
def _work_save(*, user: User, asset: Asset | None, data: bytes, prints: Fingerprints, title: str,
               description: str, licence: str, terms: str, mode: str) -> tuple[Work, list[NearMatch]]:
    _refuse_exact_duplicate(prints.sha256)
    work = Work(title=title, description=description.strip(), created_by=user, asset=asset,
                project=asset.project if asset else None, mime=prints.mime, size=prints.size,
                sha256=prints.sha256, iscc=prints.iscc, phash=prints.phash, licence=licence,
                terms=terms.strip(), terms_sha256=_terms_sha256(licence, terms.strip()), mode=mode)
    if asset is None:
        work.file.save(stored_name(prints.mime), ContentFile(data), save=False)
    shares = (default_shares(asset) if asset else {}) or {user.pk: TOTAL}
    work.entitled = {str(user_id): bps for user_id, bps in shares.items()}
    work.save()
    if asset is None:  # what it looks like, measured off this request (a render's work shares its report)
        enqueue_on_commit("rights.tasks.work_assess", work_id=work.pk)
    _owners_replace(work, [{"user": user_id, "bps": bps} for user_id, bps in shares.items()],
                    confirmed_by=user)
    works_announce([work.pk])
    return work, near_matches(sha256=prints.sha256, content_code=content_unit(prints.iscc),
                              phash=prints.phash)


def _owners_replace(work: Work, owners: Iterable[dict[str, Any]], *, confirmed_by: User) -> None:
    """Set the owners ({user: id} or {address: 0x…}, with bps); only `confirmed_by` has agreed."""
    rows = list(owners)
    problems = []
    if not 1 <= len(rows) <= MAX_OWNERS:
        problems.append(_("From 1 to %(max)s owners.") % {"max": MAX_OWNERS})
    addresses = []
    wanted = [row["user"] for row in rows if row.get("user")]
    users: dict[int, User] = users_by_id(wanted)
    for number, row in enumerate(rows, 1):
        bps = row.get("bps")
        if not isinstance(bps, int) or isinstance(bps, bool) or not 1 <= bps <= TOTAL:
            problems.append(_("Owner %(n)s: a share from 1 to 10,000 basis points.") % {"n": number})
        if row.get("user"):
            if row["user"] not in users:
                problems.append(_("Owner %(n)s: no such person.") % {"n": number})
                continue
            addresses.append(user_address(row["user"]))
        else:
            address = str(row.get("address", ""))
            if not (address.startswith("0x") and len(address) == 42):
                problems.append(_("Owner %(n)s: a person or an 0x address.") % {"n": number})
                continue
            addresses.append(address)
    if len(set(a.lower() for a in addresses)) != len(addresses):
        problems.append(_("Each owner once."))
    if not problems and sum(row["bps"] for row in rows) != TOTAL:
        problems.append(_("The shares add up to %(sum)s; they must add up to 10,000 (100 %%).") % {
            "sum": sum(row["bps"] for row in rows)})
    if problems:
        raise ValidationFailed(_("The owners need changing."), fields={"owners": problems})
    work.owners.all().delete()
    now = timezone.now()
    Owner.objects.bulk_create([
        Owner(work=work, user=users.get(row.get("user") or 0), address=address, bps=row["bps"],
              position=position, confirmed_at=now if row.get("user") == confirmed_by.pk else None)
        for position, (row, address) in enumerate(zip(rows, addresses, strict=True))])


def _settling(work: Work) -> Work:
    if work.status not in (WorkStatus.DRAFT, WorkStatus.CONFIRMING):
        raise Conflict(_("The work is %(status)s: its owners can no longer change here.") % {
            "status": work.get_status_display()}, code="work_not_draft")
    return work


def _editable(work: Work, user: User) -> Work:
    _settling(work)
    if not work.owners.filter(user=user).exists() and work.created_by_id != user.pk:
        raise PermissionDenied(_("Only the work's owners can change it."))
    return work


@transaction.atomic
def owners_set(*, work_id: str, user: User, owners: list[dict[str, Any]]) -> Work:
    """New owners and shares; every co-owner must confirm again, and a maker whose share is cut
    or removed must consent."""
    work = _editable(work_get_for_update(work_id=work_id, user=user), user)
    _owners_replace(work, owners, confirmed_by=user)
    work.consents = _consent_of(work, user, {})
    if work.status == WorkStatus.CONFIRMING:
        work.status = WorkStatus.DRAFT
    work.save(update_fields=["status", "consents"])
    return work


def _consent_of(work: Work, user: User, consents: dict[str, str]) -> dict[str, str]:
    """`consents` with the user's agreement to the owners as they are, if they are one of its makers."""
    if str(user.pk) not in work.entitled:
        return consents
    return {**consents, str(user.pk): timezone.now().isoformat()}


def work_get_for_update(*, work_id: str, user: User) -> Work:
    """The work (locked), for its maker, its co-owners and the people it was made by."""
    work = Work.objects.select_for_update().filter(public_id=work_id).first()
    if work is None or not Work.objects.filter(involving(user), pk=work.pk).exists():
        raise NotFound(_("No such work."))
    return work


class SimilarWorks(Conflict):
    """Registered works look like this one: the person must see them and say to go on."""

    def __init__(self, matches: list[NearMatch]) -> None:
        super().__init__(_("%(count)s registered works look like this one: look at them, then register "
                           "anyway if yours is a different work.") % {"count": len(matches)},
                         code="similar_works")
        self.matches = matches


def _published_lookalikes(work: Work) -> list[tuple[Asset, int | None, int]]:
    """Published renders whose content is close to the work's (other than its own asset)."""
    unit = content_unit(work.iscc)
    found = []  # (a work from a render has the render's bytes: its own print is left out by them)
    for printed in PublishedPrint.objects.select_related("asset__project").exclude(asset__sha256=work.sha256):
        distances = closeness(unit, work.phash, content_unit(printed.iscc), printed.phash)
        if distances is not None:
            found.append((printed.asset, *distances))
    return found


def _owns_work(user: User, work: Work) -> bool:
    return work.owners.filter(user=user).exists()


def _owns_project(user: User, project: Project) -> bool:
    membership = membership_get(project=project, user=user)
    return membership is not None and membership.role == Role.OWNER


@transaction.atomic
def work_submit(*, work_id: str, user: User, acknowledge_similar: bool = False) -> Work:
    """Ask for registration: the asker agrees to the owners as they are; it goes on chain once
    every co-owner (and every maker whose share was cut) has confirmed. A work that looks like
    someone else's registered or published work first waits for their owners, or a moderator,
    to approve it."""
    work = _editable(work_get_for_update(work_id=work_id, user=user), user)
    # The chain allowance counts the request once, to whoever asks (rights/allowance.py).
    chain_allowance_use(user=user, key=f"registration:{work.public_id}", kind=ChainRequest.REGISTRATION)
    _refuse_exact_duplicate(work.sha256)
    matches = near_matches(sha256=work.sha256, content_code=content_unit(work.iscc), phash=work.phash,
                           exclude=work)
    if matches and not acknowledge_similar:
        raise SimilarWorks(matches)
    work.owners.filter(user=user, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    work.consents = _consent_of(work, user, work.consents)
    work.save(update_fields=["consents"])
    reviews = [WorkReview(work=work, matched_work=m.work, content_bits=m.content_bits,
                          phash_bits=m.phash_bits) for m in matches if not _owns_work(user, m.work)]
    reviews += [WorkReview(work=work, matched_asset=asset, content_bits=content_bits, phash_bits=phash_bits)
                for asset, content_bits, phash_bits in _published_lookalikes(work)
                if not _owns_project(user, asset.project)]
    if reviews:
        work.reviews.filter(status=ReviewStatus.PENDING).delete()
        WorkReview.objects.bulk_create(reviews)
        work.status = WorkStatus.REVIEW
        work.save(update_fields=["status"])
        works_announce([work.pk])
        return work
    work.status = WorkStatus.CONFIRMING
    work.save(update_fields=["status"])
    _confirmation_ask(work, actor=user)
    return _submit_when_agreed(work)


@transaction.atomic
def work_confirm(*, work_id: str, user: User) -> Work:
    """A co-owner agrees to the owners and shares as they are now; a maker whose share was cut or
    removed consents to it."""
    work = _settling(work_get_for_update(work_id=work_id, user=user))
    confirmed = work.owners.filter(user=user).update(confirmed_at=timezone.now())
    if user.pk in consents_missing(work):
        work.consents = _consent_of(work, user, work.consents)
        work.save(update_fields=["consents"])
    elif not confirmed:
        raise PermissionDenied(_("Only the work's co-owners confirm it."))
    return _submit_when_agreed(work)


def _confirmation_ask(work: Work, *, actor: User | None) -> None:
    """Ask, in their inbox, the co-owners who have not confirmed and the makers whose consent is
    missing (after commit; nobody when everyone has agreed already)."""
    waiting = set(work.owners.filter(user__isnull=False, confirmed_at__isnull=True)
                  .values_list("user_id", flat=True)) | set(consents_missing(work))
    notification_send(recipients=sorted(waiting), kind=NotificationKind.COOWNER_REQUEST, actor=actor,
                      link=reverse("works:detail", args=[work.public_id]), params={"work": work.title})


def _submit_when_agreed(work: Work) -> Work:
    """Queue the registration once it was asked for, every co-owner who is a person here has
    confirmed (outside addresses were added, and answered for, by one who confirmed) and every
    maker whose share was cut has consented."""
    agreed = work.status == WorkStatus.CONFIRMING and not work.owners.filter(
        user__isnull=False, confirmed_at__isnull=True).exists() and not consents_missing(work)
    if agreed and work.mode == RegistrationMode.SINGLE:
        from rights.services import registration_submit

        registration_submit(work=work)
    elif agreed:  # the batch collector anchors it with others
        work.status = WorkStatus.QUEUED
        work.save(update_fields=["status"])
    work.refresh_from_db()
    works_announce([work.pk])
    return work


# --- reviews of look-alikes ---

@transaction.atomic
def review_decide(*, review_id: int, user: User, approve: bool) -> WorkReview:
    """The owners of what a work looks like (or a moderator) let it go on, or decline it."""
    review = (WorkReview.objects.select_for_update(of=("self",))
              .select_related("matched_work", "matched_asset__project").filter(pk=review_id).first())
    if review is None or not may_review(review, user):
        raise NotFound(_("No such review."))
    if review.status != ReviewStatus.PENDING:
        raise Conflict(_("This review was decided already."), code="review_closed")
    work = Work.objects.select_for_update().get(pk=review.work_id)
    review.status = ReviewStatus.APPROVED if approve else ReviewStatus.DECLINED
    review.decided_by, review.decided_at = user, timezone.now()
    review.save(update_fields=["status", "decided_by", "decided_at"])
    if not approve:
        work.reviews.filter(status=ReviewStatus.PENDING).update(status=ReviewStatus.DECLINED)
        work.status = WorkStatus.DECLINED
        work.save(update_fields=["status"])
        works_announce([work.pk])
    elif not work.reviews.filter(status=ReviewStatus.PENDING).exists():
        work.status = WorkStatus.CONFIRMING
        work.save(update_fields=["status"])
        _confirmation_ask(work, actor=work.created_by)  # (who asked; the approver only let it go on)
        _submit_when_agreed(work)
    return review
