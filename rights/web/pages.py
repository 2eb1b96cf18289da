"""The rights pages: my works, register a work, a work's certificate (its draft page with the
owners' controls while the owners settle it), transfers and licences. Thin: forms parse, the
services in rights/services/works.py and rights/services.py decide and check permissions, and their
refusals come back onto the forms; rights/verify/certificate.py reads what the certificate shows."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import current_user, users_by_id
from aesthetics.selectors import report_find, report_view
from generation.kinds import JobKind
from generation.selectors import assets_of_projects
from kernel.errors import NotFound, ServiceError
from kernel.forms import form_submit
from kernel.uploads import show_refusal, upload_limit, upload_refusal
from projects.roles import Action
from projects.selectors import projects_allowing
from rights.lookalikes import near_matches, work_content_unit
from rights.models import IN_FLIGHT, OfferStatus, Owner, RegistrationMode, Work, WorkStatus
from rights.selectors import consents_missing, reviews_for, works_of
from rights.services import (
    SimilarWorks,
    licence_grant,
    licence_revoke,
    offer_propose,
    owners_set,
    review_decide,
    share_transfer,
    work_confirm,
    work_create,
    work_submit,
)
from rights.verify import certificate
from rights.verify.certificate import Access
from rights.web.forms import (
    LicenceForm,
    OfferForm,
    OwnerFormSet,
    Source,
    SubmitForm,
    TransferForm,
    WorkCreateForm,
    owner_rows,
)
from rights.web.sales import offer_rows

if TYPE_CHECKING:
    from accounts.models import User
    from generation.models import Asset

ASSETS_OFFERED = 60


def _user(request: HttpRequest) -> User:
    return current_user(request)


def _work_url(work: Work | str, anchor: str = "") -> str:
    url = reverse("works:detail", args=[work if isinstance(work, str) else work.public_id])
    return f"{url}#{anchor}" if anchor else url


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default


def _page_work(request: HttpRequest, work_id: str) -> tuple[Work, Access]:
    try:
        return certificate.work_for_page(work_id=work_id, user=request.user)
    except NotFound:
        raise Http404(_("No such work.")) from None


# --- my works ---------------------------------------------------------------------------------


@login_required
@require_GET
def my_works(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    works = list(works_of(user).select_related("project")
                 .prefetch_related(Prefetch("owners", queryset=Owner.objects.select_related("user"))))
    rows = []
    for work in works:
        mine = next((o for o in work.owners.all() if o.user_id == user.pk), None)
        awaiting = bool(mine and mine.confirmed_at is None and work.status == WorkStatus.CONFIRMING) or (
            work.status in (WorkStatus.DRAFT, WorkStatus.CONFIRMING) and user.pk in consents_missing(work))
        rows.append({"work": work, "mine": mine, "percent": f"{mine.bps / 100:g}" if mine else "",
                     "awaiting": awaiting, "owners": len(work.owners.all())})
    rows.sort(key=lambda row: not row["awaiting"])  # what waits for me first, then newest first
    return render(request, "rights/my_works.html", {
        "rows": rows, "awaiting_count": sum(1 for row in rows if row["awaiting"]),
        "reviews": reviews_for(user)})


@login_required
@require_POST
def review_decide_page(request: HttpRequest, review_id: int, decision: str) -> HttpResponse:
    try:
        review = review_decide(review_id=review_id, user=_user(request), approve=decision == "approve")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        said = (_("Approved: “%(title)s” goes on with its registration.") if decision == "approve"
                else _("Declined: “%(title)s” will not be registered."))
        messages.success(request, said % {"title": review.work.title})
    return redirect(reverse("works:list"))


# --- register a work --------------------------------------------------------------------------


def _assets_offered(user: User, wanted: int | None) -> list[Asset]:
    """Renders of the projects where the user may register works, newest first (and the one
    asked for by ?asset=, if the user may register it)."""
    projects = projects_allowing(user=user, action=Action.REGISTER_WORK)
    qs = assets_of_projects(project_ids=[project.pk for project in projects])
    assets = list(qs[:ASSETS_OFFERED])
    if wanted is not None and all(a.pk != wanted for a in assets):
        extra = qs.filter(pk=wanted).first()
        if extra is not None:
            assets.insert(0, extra)
    return assets


def _shortened(text: str, length: int = 60) -> str:
    text = " ".join(text.split())
    return text[:length - 1].rstrip() + "…" if len(text) > length else text


def _asset_facts(asset: Asset) -> dict[str, str]:
    """What a render is, for people telling renders apart: a storyboard's cut, one of its scene
    clips, an image or a video; what it shows (the scene's own prompt for a clip); when it was
    made; its size and length."""
    job = asset.job
    scene = int(asset.role[6:]) if asset.role.startswith("scene-") and asset.role[6:].isdigit() else 0
    if scene:
        kind = _("Scene clip %(number)s") % {"number": scene}
        clip = job.scenes[scene - 1] if 0 < scene <= len(job.scenes) else {}
        shows = str(clip.get("prompt") or job.prompt) if isinstance(clip, dict) else job.prompt
    elif job.kind == JobKind.STORYBOARD:
        kind, shows = _("Storyboard cut"), job.prompt
    else:
        kind, shows = (_("Image") if asset.kind == JobKind.IMAGE else _("Video")), job.prompt
    made = date_format(localtime(asset.created_at), "SHORT_DATETIME_FORMAT")
    size = _("%(width)s × %(height)s") % {"width": asset.width, "height": asset.height}
    facts = [made, size]
    if asset.kind != JobKind.IMAGE and asset.seconds:
        facts.append(_("%(seconds)s s") % {"seconds": number_format(round(asset.seconds, 1))})
    return {"kind": kind, "shows": _shortened(shows), "facts": " · ".join(facts)}


def _asset_label(asset: Asset) -> str:
    facts = _asset_facts(asset)
    return f"{facts['kind']} · {facts['shows']} · {facts['facts']}"


def _asset_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("asset", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
@upload_limit("WORK_MAX_BYTES", page=True)  # read no more of an upload than this (kernel.uploads)
def work_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    wanted = _asset_param(request)
    assets = _assets_offered(user, wanted)
    registered = set(Work.objects.filter(asset__in=assets, status__in=IN_FLIGHT)
                     .values_list("asset_id", flat=True))
    choices = [(a.pk, _asset_label(a)) for a in assets]
    status = 200
    refusal = upload_refusal(request)
    if refusal is not None:  # the form as it was not sent, with the reason
        form = WorkCreateForm(initial={"source": Source.UPLOAD}, asset_choices=choices)
        show_refusal(form, "file", refusal)
        status = refusal.status_code
    elif request.method == "POST":
        form = WorkCreateForm(request.POST, request.FILES, asset_choices=choices)

        def create(data: dict[str, Any]) -> Work:
            upload = data["file"] if data["source"] == Source.UPLOAD else None
            work, _similar = work_create(
                user=user, title=data["title"], description=data["description"], licence=data["licence"],
                terms=data["terms"] if data["licence"] == "custom" else "", mode=data["mode"],
                asset_id=data["asset"] if upload is None else None, upload=upload,
                filename=upload.name if upload is not None else "")
            return work

        submitted = form_submit(form, create)
        if submitted.ok:
            work = submitted.result
            messages.success(request, _("“%(title)s” is a draft: check its owners and shares, then ask "
                                        "your co-owners and register it.") % {"title": work.title})
            return redirect(_work_url(work))
        status = submitted.status
    else:
        initial: dict[str, Any] = {}
        chosen = next((a for a in assets if a.pk == wanted), None)
        if chosen is not None:
            # A storyboard's cut is named by the storyboard's title, its prompt's first line.
            named = chosen.job.prompt.split("\n", 1)[0] if chosen.job.kind == JobKind.STORYBOARD \
                and chosen.role == "output" else chosen.job.prompt
            initial = {"source": Source.ASSET, "asset": chosen.pk, "title": " ".join(named.split())[:120]}
        form = WorkCreateForm(initial=initial, asset_choices=choices)
    chosen_id = str(form["asset"].value())
    groups: dict[int, dict[str, Any]] = {}  # by project, in the order their newest render comes
    for a in assets:
        group = groups.setdefault(a.project_id, {"project": a.project, "tiles": []})
        group["tiles"].append({"asset": a, **_asset_facts(a), "thumbnail": a.media_url("thumbnail"),
                               "registered": a.pk in registered, "checked": chosen_id == str(a.pk)})
    return render(request, "rights/work_new.html", {
        "form": form, "tiles": bool(assets), "groups": list(groups.values())}, status=status)


# --- the certificate (and draft) page ---------------------------------------------------------


def _owner_initial(work: Work) -> list[dict[str, Any]]:
    return [{"who": f"@{o.user.username}" if o.user else o.address, "bps": o.bps} for o in work.owners.all()]


def _render_work(request: HttpRequest, work: Work, access: Access, *, status: int = 200,
                 owners_formset: Any = None, owners_errors: list[str] | None = None,
                 submit_form: SubmitForm | None = None, similar: list[Any] | None = None,
                 transfer_form: TransferForm | None = None, licence_form: LicenceForm | None = None,
                 offer_form: OfferForm | None = None, submit_errors: list[str] | None = None) -> HttpResponse:
    user = request.user
    can_operate = (access.owner is not None and work.status == WorkStatus.REGISTERED
                   and work.mode == RegistrationMode.SINGLE)
    if access.can_edit and similar is None:
        similar = near_matches(sha256=work.sha256, content_code=work_content_unit(work), phash=work.phash,
                               exclude=work)
    media = None
    if access.member:
        if work.asset_id and access.project_member and work.asset:
            media = {"kind": work.asset.kind, "file": work.asset.media_url("file"),
                     "poster": work.asset.media_url("poster"), "width": work.asset.width,
                     "height": work.asset.height}
        elif work.file:
            media = {"kind": "video" if work.mime.startswith("video/") else "image",
                     "file": reverse("rights:work-file", kwargs={"work_id": work.public_id}),
                     "poster": None, "width": None, "height": None}
    # Refusals about a part of the page this viewer does not get (the work moved on meanwhile, or
    # they may not do that) are said on top.
    stray: list[str] = [] if access.can_edit else [*(owners_errors or []), *(submit_errors or [])]
    if not can_operate:
        stray += [str(error) for form in (transfer_form, licence_form, offer_form) if form is not None
                  for errors in form.errors.values() for error in errors]
    context = {
        "page_errors": list(dict.fromkeys(stray)),
        "work": work,
        "access": access,
        "is_owner": access.owner is not None,
        "can_operate": can_operate,
        "owners": certificate.owner_rows(work, user),
        "licence": certificate.licence_info(work),
        "record": certificate.record(work),
        "check": certificate.chain_check(work),
        "licences": certificate.licences(work, everything=access.owner is not None),
        "operations": certificate.operations(work) if access.member else [],
        "media": media,
        # What the work looks like, measured from its pixels (the same bytes as its render's): to
        # those who may see the work itself (its palette says something of a file kept private).
        "aesthetics": report_view(report=found) if media is not None and (
            found := report_find(sha256=work.sha256)) else None,
        "similar": similar or [],
        "owners_formset": owners_formset if owners_formset is not None else (
            OwnerFormSet(initial=_owner_initial(work), prefix="owners") if access.can_edit else None),
        "owners_errors": owners_errors or [],
        "submit_form": submit_form or SubmitForm(),
        "submit_errors": submit_errors or [],
        "transfer_form": transfer_form or TransferForm(),
        "licence_form": licence_form or LicenceForm(),
        "offers": offer_rows(work, user) if work.status == WorkStatus.REGISTERED else [],
        "offer_form": offer_form or OfferForm(),
        "unconfirmed": [o for o in work.owners.all() if o.user_id and o.confirmed_at is None],
        "consents_needed": list(users_by_id(consents_missing(work)).values()) if access.member else [],
        "permalink": request.build_absolute_uri(_work_url(work)),
    }
    return render(request, "rights/work.html", context, status=status)


@require_GET
def work_detail(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    return _render_work(request, work, access)


@login_required
@require_POST
def owners_save(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    formset = OwnerFormSet(request.POST, prefix="owners")
    errors: list[str] = []
    status = 400
    if formset.is_valid():
        try:
            owners_set(work_id=work.public_id, user=_user(request), owners=owner_rows(formset))
        except ServiceError as exc:
            errors = [exc.message, *(m for messages_ in exc.fields.values() for m in messages_
                                     if m != exc.message)]
            status = exc.status
        else:
            messages.success(request, _("Owners and shares saved. Each co-owner confirms them when you ask "
                                        "for the registration."))
            return redirect(_work_url(work, "owners"))
    work, access = _page_work(request, work_id)
    return _render_work(request, work, access, status=status, owners_formset=formset, owners_errors=errors)


@login_required
@require_POST
def work_submit_page(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    form = SubmitForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    try:
        work = work_submit(work_id=work.public_id, user=_user(request),
                           acknowledge_similar=form.cleaned_data.get("acknowledge_similar", False))
    except SimilarWorks as exc:
        work, access = _page_work(request, work_id)
        return _render_work(request, work, access, status=exc.status, submit_form=form, similar=exc.matches,
                            submit_errors=[exc.message])
    except ServiceError as exc:
        work, access = _page_work(request, work_id)
        return _render_work(request, work, access, status=exc.status, submit_form=form,
                            submit_errors=[exc.message, *(m for ms in exc.fields.values() for m in ms)])
    if work.status == WorkStatus.REVIEW:
        messages.success(request, _("It looks like someone else's work: its owners (or a moderator) decide "
                                    "whether it is registered. This page shows their answer."))
    elif work.status == WorkStatus.CONFIRMING:
        messages.success(request, _("Your co-owners were asked to confirm: the work is registered once they "
                                    "all have."))
    else:
        messages.success(request, _("Registration queued: it goes on the chain in a moment."))
    return redirect(_work_url(work))


@login_required
@require_POST
def work_confirm_page(request: HttpRequest, work_id: str) -> HttpResponse:
    work, _access = _page_work(request, work_id)
    try:
        work = work_confirm(work_id=work.public_id, user=_user(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if work.status == WorkStatus.CONFIRMING:
            messages.success(request, _("Confirmed. The work is registered once every co-owner has "
                                        "confirmed."))
        else:
            messages.success(request, _("Confirmed: everyone agreed, the registration is queued."))
    return redirect(_next_or(request, _work_url(work)))


@login_required
@require_POST
def transfer(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    form = TransferForm(request.POST)
    submitted = form_submit(form, lambda data: share_transfer(
        work_id=work.public_id, user=_user(request), bps=data["bps"],
        to_user_id=data["to"].get("user"), to_address=data["to"].get("address", "")))
    if submitted.ok:
        messages.success(request, _("Transfer queued: it goes on the chain in a moment."))
        return redirect(_work_url(work, "operations"))
    return _render_work(request, work, access, status=submitted.status, transfer_form=form)


@login_required
@require_POST
def licence_new(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    form = LicenceForm(request.POST)
    submitted = form_submit(form, lambda data: licence_grant(
        work_id=work.public_id, user=_user(request), terms=data["terms"],
        licensee_user_id=data["licensee"].get("user"), licensee_address=data["licensee"].get("address", ""),
        expires_at=form.expires_at()), aliases={"expires_at": "expires_on"})
    if submitted.ok:
        messages.success(request, _("Licence queued: it is granted once the chain confirms it."))
        return redirect(_work_url(work, "licences"))
    return _render_work(request, work, access, status=submitted.status, licence_form=form)


@login_required
@require_POST
def offer_new(request: HttpRequest, work_id: str) -> HttpResponse:
    work, access = _page_work(request, work_id)
    form = OfferForm(request.POST)
    submitted = form_submit(form, lambda data: offer_propose(work_id=work.public_id, user=_user(request),
                                                             **form.offer()),
                            aliases={"upstream_bps": "upstream_percent"})
    if submitted.ok:
        offer = submitted.result
        messages.success(request, _("Offer published: it is on sale once the chain confirms it.")
                         if offer.status == OfferStatus.PUBLISHING else
                         _("Offer proposed: it is published once owners holding more than half of the shares "
                           "approve it."))
        return redirect(_work_url(work, "offers"))
    return _render_work(request, work, access, status=submitted.status, offer_form=form)


@login_required
@require_POST
def licence_revoke_page(request: HttpRequest, work_id: str, licence_id: str) -> HttpResponse:
    work, _access = _page_work(request, work_id)
    try:
        if not work.licences.filter(licence_id=licence_id).exists():
            raise NotFound(_("No such licence."))
        licence_revoke(licence_id=licence_id, user=_user(request))
    except NotFound:
        raise Http404(_("No such licence.")) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Revocation queued: the licence ends once the chain confirms it."))
    return redirect(_work_url(work, "licences"))
