"""The pages of licences for sale: an offer's page (what a buyer gets, and Buy), proposing,
approving and closing offers (from the work's page), the licences a person holds, and what their
co-owned works earned with its withdrawal. rights.services.sales decides; these only show."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user, linked_wallet
from kernel.errors import NotFound, ServiceError
from rights.keys import user_address
from rights.models import Currency, Offer, PurchaseStatus
from rights.money import amount_display, currency_of
from rights.selectors import earnings_of, licences_of, offer_approvers, offer_get, work_offers
from rights.services import earnings_withdraw, licence_buy, offer_approve, offer_close

if TYPE_CHECKING:
    from rights.models import Work


def offer_rows(work: Work, user: Any) -> list[dict[str, Any]]:
    """The work page's offers, each with what this viewer may do to it."""
    me = getattr(user, "pk", None)
    rows = []
    for offer in work_offers(work=work, user=user):
        rows.append({"offer": offer, "price": amount_display(offer.price, offer.currency),
                     "approved": me in offer_approvers(offer, "publish"),
                     "closing_asked": me in offer_approvers(offer, "close")})
    return rows


def _offer_or_404(offer_id: str, user: Any) -> Offer:
    try:
        return offer_get(offer_id=offer_id, user=user)
    except NotFound:
        raise Http404(_("No such offer.")) from None


def _act(request: HttpRequest, offer_id: str, action: Any, done: str) -> HttpResponse:
    offer = _offer_or_404(offer_id, request.user)
    try:
        action(offer_id=offer.offer_id, user=current_user(request))
    except NotFound:
        raise Http404(_("No such offer.")) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(reverse("works:detail", args=[offer.work.public_id]) + "#offers")


@login_required
@require_POST
def offer_approve_page(request: HttpRequest, offer_id: str) -> HttpResponse:
    return _act(request, offer_id, offer_approve, _("Approved: it is published once owners holding more than "
                                                    "half of the shares approve it."))


@login_required
@require_POST
def offer_close_page(request: HttpRequest, offer_id: str) -> HttpResponse:
    return _act(request, offer_id, offer_close, _("Asked to close: the offer closes once owners holding more "
                                                  "than half of the shares ask. Licences sold stay valid."))


@require_GET
def offer_page(request: HttpRequest, offer_id: str) -> HttpResponse:
    return _render_offer(request, _offer_or_404(offer_id, request.user))


def _render_offer(request: HttpRequest, offer: Offer, *, status: int = 200, error: str = "") -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    mine = licences_of(user=user).filter(offer=offer) if user else None
    return render(request, "rights/offer.html", {
        "offer": offer, "work": offer.work, "price": amount_display(offer.price, offer.currency),
        "fee_percent": f"{offer.fee_bps / 100:g}", "upstream_percent": f"{offer.upstream_bps / 100:g}",
        "left": offer.max_quantity - offer.sold if offer.max_quantity else None,
        "owner": bool(user and offer.work.owners.filter(user=user).exists()),
        "paying": mine.filter(status=PurchaseStatus.PENDING).first() if mine is not None else None,
        "held": mine.filter(status=PurchaseStatus.CONFIRMED).first() if mine is not None else None,
        "payer": user_address(user.pk) if user else "",
        "licensee": (linked_wallet(user.pk) or user_address(user.pk)) if user else "",
        "wallet": linked_wallet(user.pk) if user else None,
        "error": error,
    }, status=status)


@login_required
@require_POST
def offer_buy(request: HttpRequest, offer_id: str) -> HttpResponse:
    offer = _offer_or_404(offer_id, request.user)
    if request.POST.get("accept") != "on":
        return _render_offer(request, offer, status=400,
                          error=_("Tick the box to accept the licence's terms, its price and that it is not "
                                  "refundable."))
    try:
        licence_buy(offer_id=offer.offer_id, user=current_user(request))
    except NotFound:
        raise Http404(_("No such offer.")) from None
    except ServiceError as exc:
        return _render_offer(request, offer, status=exc.status, error=exc.message)
    messages.success(request, _("Paying: the licence is yours once the chain confirms the purchase."))
    return redirect("works:licences")


@login_required
@require_GET
def my_licences(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = [{"purchase": p, "price": amount_display(p.price, p.offer.currency),
             "verify": reverse("verify") + f"?licence={p.offer.offer_id}&holder={p.licensee}"}
            for p in licences_of(user=user).order_by("-created_at", "-id")]
    return render(request, "rights/licences.html", {"rows": rows})


@login_required
@require_GET
def earnings(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    found = earnings_of(user=user)
    balances = [{"currency": currency, "label": Currency(currency).label,
                 "earned": amount_display(b.earned, currency),
                 "withdrawn": amount_display(b.withdrawn, currency),
                 "withdrawable": amount_display(b.withdrawable, currency), "can": b.withdrawable > 0}
                for currency, b in found.balances.items()]
    works = [{"work": w.work,
              "owners": [{"address": address, "name": found.names.get(address.lower(), ""),
                          "earned": ", ".join(amount_display(v, c) for c, v in sorted(amounts.items()))}
                         for address, amounts in sorted(w.by_owner.items())]}
             for w in found.works]
    history = [{"payment": p, "amount": amount_display(p.amount, currency_of(p.token))}
               for p in found.history]
    return render(request, "rights/earnings.html", {
        "balances": balances, "works": works, "history": history, "address": user_address(user.pk),
        "wallet": linked_wallet(user.pk)})


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    try:
        earnings_withdraw(user=current_user(request), currency=request.POST.get("currency", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawal queued: it is paid once the chain confirms it."))
    return redirect("works:earnings")
