"""The gallery's pages: the feed, a work, a creator, preferences, the first visit's welcome, saved
works, and publishing a project's render. Thin: forms parse, the services in recommend/ decide and
check permissions, and their refusals come back onto the forms. The cards are the API's
(recommend.api.serializers.publication_cards); the scripts in static/js/src/gallery/ add more from the
API and send what the viewer does."""


from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import current_user, signed_in
from aesthetics.selectors import report_find, report_view
from generation.kinds import JobKind
from generation.selectors import asset_get
from kernel.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from kernel.forms import form_submit
from projects.roles import Action, role_allows
from projects.selectors import membership_get, project_get
from recommend import selectors, services
from recommend.api.serializers import feed_items, publication_cards
from recommend.colours import NAMED, by_colour, colour_parse
from recommend.extensions import parts_render, work_page_parts
from recommend.feed import feed_page, publications_for
from recommend.models import Follow, Publication, PublicationStatus
from recommend.page_forms import OnboardingForm, PublishForm, RemixForm, words
from recommend.page_preferences import preferences_page  # noqa: F401 (a page of this module's urls)
from recommend.preferences import onboarding_complete, preferences_get
from recommend.reception import reception_predict
from rights.selectors import registered_works

if TYPE_CHECKING:
    from accounts.models import User
    from projects.models import Project

CREATOR_PAGE = 24
ONBOARDING_TAGS = 24


def _viewer(request: HttpRequest) -> User | None:
    return signed_in(request.user)


def _user(request: HttpRequest) -> User:
    return current_user(request)


def _publication_or_404(request: HttpRequest, publication_id: str) -> Publication:
    try:
        return selectors.publication_get(publication_id=publication_id, user=request.user)
    except NotFound:
        raise Http404(_("No such work.")) from None


def _work_url(publication: Publication | str) -> str:
    public_id = publication if isinstance(publication, str) else publication.public_id
    return reverse("gallery:work", args=[public_id])


# --- the feed ----------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    if user is not None and not selectors.onboarded(user=user):
        return redirect("gallery:onboarding")  # the first visit: a few tags to start from
    cursor = request.GET.get("cursor") or None
    try:  # without scripts, "Load more" is a link to the next page
        page = feed_page(user=user, cursor=cursor)
    except ValidationFailed:
        page, cursor = feed_page(user=user), None
    return render(request, "recommend/home.html", {
        "feed": page.feed, "items": feed_items(request, page), "next_cursor": page.next_cursor,
        "continued": cursor is not None})


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    choices = [(tag.name, f"#{tag.name}") for tag in selectors.popular_tags(limit=ONBOARDING_TAGS)]
    status = 200
    if request.method == "POST":
        form = OnboardingForm(request.POST, tag_choices=choices)
        if "skip" in request.POST:
            onboarding_complete(user=user, tags=[])
            return redirect("gallery:home")
        submitted = form_submit(form, lambda data: onboarding_complete(
            user=user, tags=[*data["tags"], *words(data["other"])], variety=data["variety"]),
            aliases={"tags": "other", "tag_weights": "other"})
        if submitted.ok:
            messages.success(request, _("Your gallery starts from what you picked, and learns from what "
                                        "you like. Change it any time in your gallery preferences."))
            return redirect("gallery:home")
        status = submitted.status
    else:
        form = OnboardingForm(tag_choices=choices, initial={"variety": preferences_get(user=user).variety})
    return render(request, "recommend/onboarding.html", {"form": form}, status=status)


# --- a work ------------------------------------------------------------------------------------


def _can_publish(publication: Publication, user: User | None) -> bool:
    membership = membership_get(project=publication.project, user=user) if user else None
    return membership is not None and role_allows(membership.role, Action.PUBLISH)


def _render_work(request: HttpRequest, publication: Publication, *, remix_form: RemixForm | None = None,
                 status: int = 200) -> HttpResponse:
    user = _viewer(request)
    card = publication_cards(request, [publication])[0]
    projects = selectors.remix_projects(user)
    related = selectors.more_like_this(publication, user)
    by_creator = selectors.more_from_creator(publication, user)
    return render(request, "recommend/work.html", {
        "publication": publication,
        "card": card,
        "can_publish": _can_publish(publication, user),
        "published": publication.status == PublicationStatus.PUBLISHED,
        "remix_form": remix_form or RemixForm(project_choices=projects,
                                              initial={"prompt": publication.prompt}),
        "remix_projects": projects,
        "related": publication_cards(request, related),
        "by_creator": publication_cards(request, by_creator),
        "is_me": user is not None and user.pk == publication.creator_id,
        "parts": parts_render(work_page_parts(), request, publication, user),  # (recommend.extensions)
        "aesthetics": _aesthetics(publication),
    }, status=status)


def _aesthetics(publication: Publication) -> dict[str, Any] | None:
    """A published work's aesthetic report (its pixels are public: so is what they measure)."""
    report = report_find(sha256=publication.asset.sha256)
    return report_view(report=report) if report is not None else None


@require_GET
def work(request: HttpRequest, publication_id: str) -> HttpResponse:
    return _render_work(request, _publication_or_404(request, publication_id))


@login_required
@require_POST
def remix(request: HttpRequest, publication_id: str) -> HttpResponse:
    user = _user(request)
    publication = _publication_or_404(request, publication_id)
    form = RemixForm(request.POST, project_choices=selectors.remix_projects(user))

    def remix(data: dict[str, Any]) -> Project:
        prompt = data["prompt"].strip()
        changes = {"prompt": prompt} if prompt and prompt != publication.prompt.strip() else {}
        project = project_get(project_id=data["project"], user=user)
        services.gallery_remix(user=user, publication_id=publication.public_id, project=project, **changes)
        return project

    submitted = form_submit(form, remix)
    if submitted.ok:
        project = submitted.result
        messages.success(request, _("Remix of “%(title)s” queued in %(project)s: it appears in the queue "
                                    "and then in the media library.") % {
                                        "title": publication.title, "project": project.name})
        return redirect(reverse("projects:detail", args=[project.pk]) + "#jobs")
    return _render_work(request, publication, remix_form=form, status=submitted.status)


@login_required
@require_POST
def work_status(request: HttpRequest, publication_id: str) -> HttpResponse:
    """Unpublish a work, or publish it again (its project's owners)."""
    wanted = request.POST.get("status", "")
    try:
        publication = services.publication_update(publication_id=publication_id, user=_user(request),
                                                  status=wanted)
    except NotFound:
        raise Http404(_("No such work.")) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_work_url(publication_id))
    if publication.status == PublicationStatus.PUBLISHED:
        messages.success(request, _("Published again: it is in the gallery."))
    else:
        messages.success(request, _("Unpublished: only the project's owners see it now."))
    return redirect(_work_url(publication))


@login_required
@require_POST
def unhide(request: HttpRequest, publication_id: str) -> HttpResponse:
    services.unhide(user=_user(request), publication_id=publication_id)
    messages.success(request, _("It may show in your gallery again."))
    return redirect(reverse("gallery:preferences") + "#hidden")


# --- browsing by colour ------------------------------------------------------------------------


@require_GET
def colours(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("colour", "")
    colour, error, cards, page = "", "", [], None
    if raw:
        try:
            colour = colour_parse(raw)
        except ValidationFailed as refused:
            error = refused.message
    if colour:
        user = _viewer(request)
        page = Paginator(by_colour(colour=colour, user=user), CREATOR_PAGE).get_page(request.GET.get("page"))
        found = publications_for([m.publication for m in page], user=user)
        cards = publication_cards(request, [found[m.publication] for m in page if m.publication in found])
    return render(request, "recommend/colours.html", {
        "colour": colour, "raw": raw, "error": error, "page": page, "cards": cards,
        "swatches": [(name, value, label) for name, (value, label) in NAMED.items()]},
        status=400 if error else 200)


# --- creators and saved works ------------------------------------------------------------------


@require_GET
def creator(request: HttpRequest, username: str) -> HttpResponse:
    try:
        person = selectors.creator_get(username=username)
    except NotFound:
        raise Http404(_("No such creator.")) from None
    user = _viewer(request)
    page = Paginator(selectors.creator_publications(creator=person), CREATOR_PAGE).get_page(
        request.GET.get("page"))
    following = user is not None and Follow.objects.filter(follower=user, creator=person).exists()
    return render(request, "recommend/creator.html", {
        "creator": person, "stats": selectors.creator_stats(creator=person), "page": page,
        "cards": publication_cards(request, list(page)), "following": following,
        "is_me": user is not None and user.pk == person.pk})


@login_required
@require_GET
def collections(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    lists = list(selectors.collections_of(user=user))
    wanted = request.GET.get("c", "")
    chosen = next((c for c in lists if str(c.pk) == wanted), lists[0] if lists else None)
    works = selectors.collection_publications(collection=chosen, user=user) if chosen else []
    return render(request, "recommend/collections.html", {
        "collections": lists, "chosen": chosen, "cards": publication_cards(request, works),
        "liked_count": selectors.liked_count(user=user)})


@login_required
@require_GET
def liked(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    works = selectors.liked_publications(user=user)
    return render(request, "recommend/collections.html", {
        "collections": list(selectors.collections_of(user=user)), "liked": True,
        "liked_count": len(works), "cards": publication_cards(request, works)})


# --- publishing a project's render -------------------------------------------------------------


def _publish_target(request: HttpRequest, project_id: int, asset_id: int) -> tuple[Any, Any]:
    """The project (its owners may publish; others get its 404 or 403) and the render."""
    try:
        project = project_get(project_id=project_id, user=request.user, action=Action.PUBLISH)
        return project, asset_get(project=project, user=request.user, asset_id=asset_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from None


def _render_title(asset: Any) -> str:
    """A render's own title: a storyboard's title (its prompt's first line), else its prompt,
    shortened."""
    prompt = asset.job.prompt if asset.job_id else ""
    if asset.job_id and asset.job.kind == JobKind.STORYBOARD:
        prompt = prompt.split("\n", 1)[0]
    prompt = " ".join(prompt.split())
    return prompt[:119].rstrip() + "…" if len(prompt) > 120 else prompt


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, project_id: int, asset_id: int) -> HttpResponse:
    user = _user(request)
    project, asset = _publish_target(request, project_id, asset_id)
    existing = Publication.objects.filter(asset=asset).first()
    if existing is not None:
        messages.info(request, _("This render is published already."))
        return redirect(_work_url(existing))
    registered = registered_works(asset_ids=[asset.pk]).get(asset.pk)
    fixed = registered.licence if registered is not None else None
    status = 200
    if request.method == "POST":
        form = PublishForm(request.POST, fixed_licence=fixed)
        submitted = form_submit(form, lambda data: services.publication_publish(
            project=project, user=user, asset_id=asset.pk, title=data["title"],
            description=data["description"], tags=data["tags"], language=data["language"],
            licence=fixed or data["licence"]))
        if submitted.ok:
            publication = submitted.result
            messages.success(request, _("“%(title)s” is in the gallery.") % {"title": publication.title})
            return redirect(_work_url(publication))
        status = submitted.status
    else:
        form = PublishForm(fixed_licence=fixed, initial={
            "title": _render_title(asset), "language": user.preferred_language or "en",
            "licence": fixed or "cc-by-4.0"})
    return render(request, "recommend/publish.html", {
        "form": form, "project": project, "asset": asset, "registered": registered,
        "reception": _reception(project, asset, user),
        "thumbnail": asset.media_url("thumbnail") or asset.media_url("poster")}, status=status)


def _reception(project: Project, asset: Any, user: User) -> dict[str, Any]:
    found = reception_predict(project_id=project.pk, asset_id=asset.pk, user=user)
    if found["status"] == "ready":  # as the page words it
        found["share"] = round(100 * found["probability"])
        found["percentile_rounded"] = round(found["percentile"])
    return found
