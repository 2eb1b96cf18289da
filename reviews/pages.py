"""The reviews' pages: the thread under a work (a part of recommend's work page), a thread's own
page, and the forms to post, reply, edit, delete and report, plain forms that work without
scripts. Thin: reviews/services.py decides and checks; a refusal comes back on a page of its own
with the form and what was typed. Moderators decide from the moderation queue's part."""


from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import current_user, signed_in
from kernel.errors import NotFound, PermissionDenied, QuotaExceeded, ServiceError
from kernel.forms import Submitted, form_submit
from recommend.selectors import publication_get
from recommend.services import PublicationStatus
from reviews import selectors, services
from reviews.page_forms import DecisionForm, EditForm, ReportForm, ReviewForm
from reviews.throttles import review_post_wait

if TYPE_CHECKING:
    from accounts.models import User
    from recommend.models import Publication
    from reviews.models import Review

THREADS_PAGE = 20  # threads under a work, newest first ("?reviews=2" for the next)
REPLIES_PAGE = 100  # replies on a thread's own page


def _work_url(publication: Publication, review: Review | None = None) -> str:
    url = reverse("gallery:work", args=[publication.public_id])
    return url + (f"#review-{review.pk}" if review is not None else "#reviews")


def _back(publication: Publication, review: Review) -> str:
    """Where a review is seen after a change: a thread under the work, a reply in its thread's page."""
    return _work_url(publication, review) if review.parent_id is None else services.thread_url(review)


def _can_post(publication: Publication, viewer: User | None) -> bool:
    return viewer is not None and viewer.is_active and publication.status == PublicationStatus.PUBLISHED


def work_part(request: HttpRequest, publication: Publication, viewer: User | None) -> dict[str, Any]:
    """The thread under a work (recommend.extensions.WorkPagePart): a page of threads, newest
    first, each with its first replies; the form to post for those who may."""
    can_post = _can_post(publication, viewer)
    page = Paginator(selectors.thread_roots(publication=publication, viewer=viewer),
                     THREADS_PAGE).get_page(request.GET.get("reviews"))
    entries = selectors.entries_for(roots=list(page), publication=publication, viewer=viewer,
                                    replies_limit=selectors.REPLIES_SHOWN, can_post=can_post)
    return {"publication": publication, "entries": entries, "page": page, "can_post": can_post,
            "published": publication.status == PublicationStatus.PUBLISHED,
            "count": selectors.review_count(publication=publication), "max_chars": 2000}


def moderation_part(request: HttpRequest, moderator: User) -> dict[str, Any]:
    """Reported and held reviews, beside the reported works (recommend.extensions.ModerationPart)."""
    return {"queue": selectors.moderation_queue(user=moderator)}


def _not_found(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except NotFound:
        raise Http404(_("No such review.")) from None


def _form_page(request: HttpRequest, form: Form, *, heading: str, action: str, back: str,
               submitted: Submitted[Any] | None = None, quoted: Review | None = None,
               button: str = "") -> HttpResponse:
    """A form on a page of its own: where a refused form comes back with what was typed (and
    where editing and reporting start without scripts)."""
    status = submitted.status if submitted is not None else 200
    return render(request, "reviews/form.html", {
        "form": form, "heading": heading, "action": action, "back": back, "quoted": quoted,
        "button": button or _("Send")}, status=status)


# --- posting and replying -------------------------------------------------------------------------


def _posted_after_wait(wait_s: int | None, post: Callable[[], Review]) -> Review:
    if wait_s is not None:  # the address's bound (the API answers the same, in its shape)
        raise QuotaExceeded(_("Too many reviews from your network: try again in %(s)s seconds.") % {
            "s": wait_s}, code="throttled")
    return post()


@login_required
@require_POST
def review_post(request: HttpRequest, publication_id: str) -> HttpResponse:
    user = current_user(request)
    form = ReviewForm(request.POST)
    wait_s = review_post_wait(request)
    submitted = form_submit(form, lambda data: _posted_after_wait(wait_s, lambda: services.review_post(
        user=user, publication_id=publication_id, body=data["body"], parent=data["parent"])),
        aliases={"parent": "body"})
    if submitted.ok:
        review = submitted.result
        if review.parent_id is None:
            messages.success(request, _("Your review is posted."))
            return redirect(_work_url(review.publication, review))
        messages.success(request, _("Your reply is posted."))
        return redirect(services.thread_url(review))
    if submitted.status == NotFound.status:  # no such work, or not in the gallery
        raise Http404(_("No such work."))
    publication = _not_found(lambda: publication_get(publication_id=publication_id, user=user))
    parent = form.cleaned_data.get("parent") if form.is_bound and hasattr(form, "cleaned_data") else None
    quoted = None
    if parent:
        try:
            quoted = selectors.review_get(review_id=parent, viewer=user)[1]
        except NotFound:
            quoted = None
    heading = _("Reply to a review of “%(title)s”") if parent else _("Review “%(title)s”")
    return _form_page(request, form, heading=heading % {"title": publication.title},
                      action=reverse("reviews:post", args=[publication.public_id]),
                      back=_work_url(publication), submitted=submitted, quoted=quoted,
                      button=_("Post the reply") if parent else _("Post the review"))


@require_GET
def thread(request: HttpRequest, review_id: int) -> HttpResponse:
    """A thread on a page of its own, every reply shown (a notification links here)."""
    viewer = signed_in(request.user)
    publication, root = _not_found(lambda: selectors.thread_get(review_id=review_id, viewer=viewer))
    can_post = _can_post(publication, viewer)
    page = Paginator(selectors.thread_replies(root=root, viewer=viewer), REPLIES_PAGE).get_page(
        request.GET.get("page"))
    entry = selectors.entries_for(roots=[root], publication=publication, viewer=viewer, replies_limit=0,
                                  can_post=can_post)[0]
    replies = selectors.entries_for_replies(replies=list(page), publication=publication, viewer=viewer,
                                            can_post=can_post)
    return render(request, "reviews/thread.html", {
        "publication": publication, "entry": entry, "replies": replies, "page": page, "can_post": can_post,
        "work_url": _work_url(publication, root)})


# --- editing, deleting, reporting -----------------------------------------------------------------


def _own(request: HttpRequest, review_id: int) -> tuple[Publication, Review]:
    return _not_found(lambda: selectors.review_get(review_id=review_id, viewer=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, review_id: int) -> HttpResponse:
    user = current_user(request)
    publication, review = _own(request, review_id)
    if review.author_id != user.pk:
        raise Forbidden(_("Only its author may edit a review."))
    submitted = None
    if request.method == "POST":
        form = EditForm(request.POST)
        submitted = form_submit(form, lambda data: services.review_edit(user=user, review_id=review.pk,
                                                                        body=data["body"]))
        if submitted.ok:
            messages.success(request, _("Your review is changed."))
            return redirect(_back(publication, review))
        if submitted.status == NotFound.status:
            raise Http404(_("No such review."))
    else:
        form = EditForm(initial={"body": review.body})
    heading = _("Edit your review of “%(title)s”") % {"title": publication.title}
    return _form_page(request, form, heading=heading,
                      action=reverse("reviews:edit", args=[review.pk]), back=_work_url(publication, review),
                      submitted=submitted, button=_("Save"))


@login_required
@require_POST
def review_delete(request: HttpRequest, review_id: int) -> HttpResponse:
    user = current_user(request)
    publication, review = _own(request, review_id)
    try:
        services.review_delete(user=user, review_id=review.pk)
    except NotFound:
        raise Http404(_("No such review.")) from None
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_work_url(publication, review))
    messages.success(request, _("The review is deleted."))
    return redirect(_back(publication, review))


@login_required
@require_http_methods(["GET", "POST"])
def review_report(request: HttpRequest, review_id: int) -> HttpResponse:
    user = current_user(request)
    publication, review = _own(request, review_id)
    submitted = None
    if request.method == "POST":
        form = ReportForm(request.POST)
        submitted = form_submit(form, lambda data: services.review_report(
            user=user, review_id=review.pk, reason=data["reason"], note=data["note"]))
        if submitted.ok:
            messages.success(request, _("Thank you: the moderators will look at the review."))
            return redirect(_back(publication, review))
        if submitted.status == NotFound.status:
            raise Http404(_("No such review."))
    else:
        form = ReportForm()
    heading = _("Report a review of “%(title)s”") % {"title": publication.title}
    return _form_page(request, form, heading=heading,
                      action=reverse("reviews:report", args=[review.pk]), back=_work_url(publication, review),
                      submitted=submitted, quoted=review, button=_("Send the report"))


# --- moderators -------------------------------------------------------------------------------


@login_required
@require_POST
def review_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    try:
        moderator = services.moderator_require(current_user(request))
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from None
    form = DecisionForm(request.POST)
    submitted = form_submit(form, lambda data: services.review_moderate(
        moderator=moderator, review_id=review_id, action=data["action"], note=data["note"],
        last_decision=data["last_decision"]))
    queue = reverse("gallery:moderation:queue") + "#reported-reviews"
    if submitted.status == NotFound.status:
        raise Http404(_("No such review."))
    if submitted.ok:
        decision = submitted.result
        messages.success(request, _("Restored: the review is shown again.") if decision.action == "restore"
                         else _("Removed: the review is no longer shown; its replies stay."))
    else:
        errors = [str(e) for e in form.non_field_errors()] or [
            f"{form.fields[name].label}: {' '.join(str(e) for e in errs)}"
            for name, errs in form.errors.items() if name in form.fields]
        messages.error(request, " ".join(errors) or _("The decision could not be made."))
    return redirect(queue)
