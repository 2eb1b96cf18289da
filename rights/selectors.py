"""Reads for rights: works, for the people who made or own them and for projects' members; licence
offers, licences held and what sales earned."""


from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import linked_wallet, signed_in
from aesthetics.selectors import report_find, report_view
from kernel.errors import NotFound
from projects.roles import Action, Role
from projects.selectors import AnyUser, membership_get, membership_require
from rights.keys import user_address
from rights.models import (
    IN_FLIGHT,
    ChainTx,
    Custody,
    Offer,
    OfferStatus,
    Owner,
    Payment,
    PaymentKind,
    Purchase,
    PurchaseStatus,
    ReviewStatus,
    TxStatus,
    Work,
    WorkReview,
    WorkStatus,
)
from rights.money import amount_display, currency_of

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project


def project_works(*, project: Project, user: AnyUser) -> QuerySet[Work]:
    membership_require(project=project, user=user, action=Action.VIEW)
    return Work.objects.filter(project=project).prefetch_related("owners__user")


def work_aesthetics(*, work_id: str, user: AnyUser) -> dict[str, Any]:
    """The aesthetic report of a work its viewer may see in full (work_get), or
    {"status": "pending"} until it has been measured (rights.assessment; a render's work shares
    the render's report)."""
    work = work_get(work_id=work_id, user=user)
    report = report_find(sha256=work.sha256)
    return {"status": "measured", **report_view(report=report)} if report else {"status": "pending"}


def work_get(*, work_id: str, user: AnyUser) -> Work:
    """A work its makers, owners, or its project's members may see in full (everyone sees the
    registration itself on its public certificate)."""
    work = Work.objects.filter(public_id=work_id).prefetch_related("owners__user").first()
    if work is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("No such work."))
    mine = (work.created_by_id == user.pk or str(user.pk) in work.entitled
            or any(owner.user_id == user.pk for owner in work.owners.all()))
    if not mine and not (work.project and membership_get(project=work.project, user=user)) and not (
            work.status == WorkStatus.REVIEW and reviews_decided_by(user).filter(work=work).exists()):
        raise NotFound(_("No such work."))
    return work


def reviews_decided_by(user: AnyUser) -> QuerySet[WorkReview]:
    """The reviews a person decides: a moderator (staff) all of them; others those of look-alikes
    of a registered work they co-own, or of a render published by a project they own."""
    person = signed_in(user)
    if person is None:
        return WorkReview.objects.none()
    if person.is_staff:
        return WorkReview.objects.all()
    owners = Q(matched_work__owners__user=person) | Q(matched_asset__project__memberships__user=person,
                                                      matched_asset__project__memberships__role=Role.OWNER)
    return WorkReview.objects.filter(pk__in=WorkReview.objects.filter(owners).values("pk"))


def may_review(review: WorkReview, user: AnyUser) -> bool:
    return reviews_decided_by(user).filter(pk=review.pk).exists()


def consents_missing(work: Work) -> list[int]:
    """The makers whose share the owners cut below what they made, or removed, and who have not
    agreed to that yet (their ids)."""
    held: dict[int, int] = {}
    for owner in work.owners.all():
        if owner.user_id is not None:
            held[owner.user_id] = held.get(owner.user_id, 0) + owner.bps
    return [int(user_id) for user_id, bps in work.entitled.items()
            if held.get(int(user_id), 0) < bps and user_id not in work.consents]


def reviews_for(user: AnyUser) -> list[WorkReview]:
    """The pending reviews this person decides: of look-alikes of works they own, or of renders
    their projects published; moderators see them all."""
    return list(reviews_decided_by(user).filter(status=ReviewStatus.PENDING)
                .select_related("work__created_by", "matched_work", "matched_asset__project"))


def registered_works(*, asset_ids: list[int]) -> dict[int, Work]:
    """The work each of these renders is registered as (registered, or on its way to the chain):
    asset id → work, the latest if several."""
    works = Work.objects.filter(asset_id__in=asset_ids, status__in=IN_FLIGHT).order_by("id")
    return {work.asset_id: work for work in works if work.asset_id is not None}


def involving(user: User) -> Q:
    """The works a person made, co-owns or was made by (as a filter)."""
    return Q(created_by=user) | Q(owners__user=user) | Q(entitled__has_key=str(user.pk))


def works_of(user: User) -> QuerySet[Work]:
    """The works a person made, co-owns or was made by, newest first."""
    return Work.objects.filter(pk__in=Work.objects.filter(involving(user)).values("pk"))


def works_awaiting_confirmation(*, user: AnyUser, limit: int) -> list[Work]:
    """The works waiting for this person's word, newest first: registrations whose owners and
    shares they co-own and have not confirmed yet, and works whose owners cut the share they made
    until they consent (as the works page marks them)."""
    person = signed_in(user)
    if person is None:
        return []
    unconfirmed = Q(status=WorkStatus.CONFIRMING, owners__user=person, owners__confirmed_at__isnull=True)
    entitled = Q(status__in=(WorkStatus.DRAFT, WorkStatus.CONFIRMING), entitled__has_key=str(person.pk))
    candidates = (Work.objects.filter(pk__in=Work.objects.filter(unconfirmed | entitled).values("pk"))
                  .select_related("project").prefetch_related("owners").order_by("-created_at", "-id"))
    waiting = []
    for work in candidates:
        mine = [o for o in work.owners.all() if o.user_id == person.pk and o.confirmed_at is None]
        if (mine and work.status == WorkStatus.CONFIRMING) or person.pk in consents_missing(work):
            waiting.append(work)
            if len(waiting) == limit:
                break
    return waiting


def outbox_state() -> tuple[dict[str, int], float]:
    """The outbox's transactions by status, and the age in seconds of the oldest not yet
    confirmed (pending or submitted; 0 when none waits): what an operator watches."""
    counts = dict.fromkeys(TxStatus.values, 0)
    counts.update(ChainTx.objects.order_by().values_list("status").annotate(n=Count("id")))
    waiting = ChainTx.objects.filter(status__in=(TxStatus.PENDING, TxStatus.SUBMITTED)).aggregate(
        oldest=Min("created_at"))["oldest"]
    return counts, (timezone.now() - waiting).total_seconds() if waiting else 0.0



# ---------------------------------------------------------------- licences for sale

PUBLIC_OFFER = (OfferStatus.ACTIVE, OfferStatus.SOLD_OUT, OfferStatus.CLOSING, OfferStatus.CLOSED)


def _owns(work: Work, user: AnyUser) -> bool:
    person = signed_in(user)
    return person is not None and Owner.objects.filter(work=work, user=person).exists()


def work_offers(*, work: Work, user: AnyUser) -> list[Offer]:
    """A work's offers: everyone sees those published (on sale, sold out, closed); its owners also
    those waiting for approval, expired or failed."""
    offers = Offer.objects.filter(work=work).prefetch_related("approvals")
    return list(offers if _owns(work, user) else offers.filter(status__in=PUBLIC_OFFER))


def licence_prices(*, work_ids: list[int]) -> dict[int, str]:
    """For each of these works with licences on sale, the lowest price (in ETH if it sells in ETH),
    as the gallery's cards show it ("0.01 ETH"); one query for all."""
    found: dict[int, str] = {}
    offers = (Offer.objects.filter(work_id__in=work_ids, status=OfferStatus.ACTIVE)
              .order_by("currency", "price"))
    for offer in offers.only("work_id", "currency", "price"):
        found.setdefault(offer.work_id, amount_display(offer.price, offer.currency))
    return found


def offer_get(*, offer_id: str, user: AnyUser) -> Offer:
    """An offer anyone may see once published; before, only its work's owners."""
    offer = Offer.objects.filter(offer_id=str(offer_id).lower()).select_related("work").first()
    if offer is None or (offer.status not in PUBLIC_OFFER and not _owns(offer.work, user)):
        raise NotFound(_("No such offer."))
    return offer


def offer_approvers(offer: Offer, kind: str) -> set[int]:
    """The people whose approval of `kind` ("publish" or "close") the offer holds."""
    return {a.user_id for a in offer.approvals.all() if a.kind == kind and a.user_id}


def addresses_of(user: User) -> list[str]:
    """Every address of a person's: custodial, and their linked wallet if any."""
    wallet = linked_wallet(user.pk)
    return [user_address(user.pk), *([wallet] if wallet else [])]


def licences_of(*, user: User) -> QuerySet[Purchase]:
    """The licences a person bought or holds at one of their addresses, newest first."""
    held = Q(buyer=user) | Q(licensee__in=addresses_of(user), status=PurchaseStatus.CONFIRMED)
    return Purchase.objects.filter(held).select_related("offer__work").distinct()


@dataclass
class Balance:
    earned: int = 0
    withdrawn: int = 0

    @property
    def withdrawable(self) -> int:
        return self.earned - self.withdrawn


@dataclass
class WorkEarnings:
    work: Work
    by_owner: dict[str, dict[str, int]]  # payee address → currency → earned


@dataclass
class Earnings:
    """What sales credited a person and what they withdrew, as the licensing contract's events say."""

    balances: dict[str, Balance] = field(default_factory=dict)  # by currency
    works: list[WorkEarnings] = field(default_factory=list)
    history: list[Payment] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # address → the person's username, where known


def earnings_of(*, user: User, history: int = 100) -> Earnings:
    """Per currency the balance of a person's custodial address (credited, withdrawn, what is left),
    per work they co-own every co-owner's earnings, and their latest payments."""
    address = user_address(user.pk)
    result = Earnings(balances={currency: Balance() for currency in ("native", "stablecoin")})
    totals = (Payment.objects.filter(payee=address).values("kind", "token")
              .annotate(total=Sum("amount")))
    for row in totals:
        balance = result.balances[currency_of(row["token"])]
        if row["kind"] == PaymentKind.CREDIT:
            balance.earned += int(row["total"])
        else:
            balance.withdrawn += int(row["total"])
    works = Work.objects.filter(owners__user=user, payments__isnull=False).distinct().order_by("title")
    credits = (Payment.objects.filter(kind=PaymentKind.CREDIT, work__in=works)
               .values("work_id", "payee", "token").annotate(total=Sum("amount")))
    by_work: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in credits:
        earned = by_work[row["work_id"]][row["payee"]]
        currency = currency_of(row["token"])
        earned[currency] = earned.get(currency, 0) + int(row["total"])
    result.works = [WorkEarnings(work=work, by_owner={k: dict(v) for k, v in by_work[work.pk].items()})
                    for work in works]
    payees = {payee for work in result.works for payee in work.by_owner}
    result.names = {c.address.lower(): c.user.username for c in
                    Custody.objects.filter(address__in=payees).select_related("user")}
    result.history = list(Payment.objects.filter(payee=address).select_related("work")[:history])
    return result

