"""The moderators' pages: the queue of reported and held works, and a work's moderation page with
its reports, registration, history and the decision form. Thin: recommend/moderation.py decides
and checks that the person is staff; its refusals answer 403 here (the API's do too)."""


from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user
from kernel.errors import Conflict, NotFound, PermissionDenied
from kernel.forms import form_submit
from recommend import moderation
from recommend.api.serializers import media_url
from recommend.extensions import moderation_parts, parts_render
from recommend.models import ModerationAction, ModerationDecision, Publication

QUEUE_PAGE = 20

ACTION_CHOICES = [
    (ModerationAction.RESTORE.value, gettext_lazy("Restore: publish it again and settle its reports")),
    (ModerationAction.REMOVE.value, gettext_lazy("Remove it from the gallery")),
    (ModerationAction.WARN.value, gettext_lazy("Warn the creator: it stays published")),
]


class ReportIdsField(forms.Field):
    """The ids of the reports the moderator saw (hidden fields), at most MAX_REPORT_IDS."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > moderation.MAX_REPORT_IDS or not all(
                isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 12 for v in values):
            raise ValidationError(_("The page's list of reports is damaged: load the page again."))
        return [int(v) for v in values]


class DecisionForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Decision"), choices=ACTION_CHOICES,
                               widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=moderation.NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=gettext_lazy("Why: the creator is told. Needed for a warning; "
                                                  "up to 2,000 characters."))
    reports = ReportIdsField(required=False)
    last_decision = forms.IntegerField(min_value=0, max_value=moderation.MAX_ID, widget=forms.HiddenInput)


def _moderator(request: HttpRequest) -> Any:
    try:
        return moderation.moderator_require(current_user(request))
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from None


def _thumbnail(publication: Publication) -> str | None:
    return media_url(publication, "thumbnail") or media_url(publication, "poster")


def _rows(items: list[moderation.QueueItem]) -> list[dict[str, Any]]:
    return [{"item": item, "thumbnail": _thumbnail(item.publication)} for item in items]


@login_required
@require_GET
def moderation_queue_page(request: HttpRequest) -> HttpResponse:
    user = _moderator(request)
    page = Paginator(moderation.moderation_queue(user=user), QUEUE_PAGE).get_page(request.GET.get("page"))
    items = moderation.queue_items(user=user, publications=list(page))
    return render(request, "recommend/moderation.html", {
        "page": page, "rows": _rows(items), "recent": moderation.decisions_recent(user=user),
        "parts": parts_render(moderation_parts(), request, user)})  # e.g. reported reviews


def _render_detail(request: HttpRequest, publication_id: str, *, form: DecisionForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = _moderator(request)
    try:
        item = moderation.moderation_item(user=user, publication_id=publication_id)
    except NotFound:
        raise Http404(_("No such work.")) from None
    if form is None:
        form = DecisionForm(initial={"last_decision": item.last_decision,
                                     "reports": [str(r.pk) for r in item.reports]})
    return render(request, "recommend/moderation_detail.html", {
        "item": item, "publication": item.publication, "thumbnail": _thumbnail(item.publication),
        "history": moderation.moderation_history(user=user, publication=item.publication),
        "form": form, "more_reports": item.open_reports - len(item.reports)}, status=status)


@login_required
@require_GET
def moderation_detail_page(request: HttpRequest, publication_id: str) -> HttpResponse:
    return _render_detail(request, publication_id)


CONFIRMATIONS = {
    ModerationAction.RESTORE: gettext_lazy("Restored: “%(title)s” is in the gallery again and its reports "
                                           "are settled."),
    ModerationAction.REMOVE: gettext_lazy("Removed: “%(title)s” is out of the gallery. The render stays in "
                                          "its project and its registration on the chain stays as it is."),
    ModerationAction.WARN: gettext_lazy("Warned: the creator of “%(title)s” is told; the work stays "
                                       "published."),
}


@login_required
@require_POST
def moderation_decide_page(request: HttpRequest, publication_id: str) -> HttpResponse:
    user = _moderator(request)
    form = DecisionForm(request.POST)

    def decide(data: dict[str, Any]) -> ModerationDecision:
        return moderation.moderation_decide(
            publication_id=publication_id, moderator=user, action=data["action"], note=data["note"],
            reports=data["reports"], last_decision=data["last_decision"])

    submitted = form_submit(form, decide)
    if submitted.status == NotFound.status:
        raise Http404(_("No such work."))
    detail = reverse("gallery:moderation:detail", args=[publication_id])
    if submitted.ok:
        decision = submitted.result
        title = Publication.objects.filter(pk=decision.publication_id).values_list("title", flat=True).first()
        messages.success(request, CONFIRMATIONS[ModerationAction(decision.action)] % {"title": title})
        return redirect(detail)
    if submitted.status == Conflict.status:  # someone decided meanwhile: show the work as it is now
        messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect(detail)
    return _render_detail(request, publication_id, form=form, status=submitted.status)


urlpatterns = [  # under /moderation/, as gallery:moderation:<name> (recommend/page_urls.py)
    path("", moderation_queue_page, name="queue"),
    path("<str:publication_id>/", moderation_detail_page, name="detail"),
    path("<str:publication_id>/decide/", moderation_decide_page, name="decide"),
]
