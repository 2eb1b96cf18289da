"""The inbox page. Thin: selectors read, services write (and check whose a notification is)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user
from inbox import selectors, services
from inbox.forms import EmailDigestForm
from inbox.messages import message_text
from kernel.errors import NotFound
from kernel.forms import form_submit

PER_PAGE = 20


def _render(request: HttpRequest, *, form: EmailDigestForm | None = None, status: int = 200) -> HttpResponse:
    user = current_user(request)
    page = Paginator(selectors.notification_list(user=user), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"notification": n, "text": message_text(kind=n.kind, message=n.message, params=n.params)}
            for n in page]
    return render(request, "inbox/list.html", {
        "rows": rows, "page": page, "unread": selectors.unread_count(user_id=user.pk),
        "form": form or EmailDigestForm(initial={"kinds": selectors.email_kinds(user=user)}),
    }, status=status)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return _render(request)


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go to its place: a path on this site, never elsewhere."""
    try:
        notification = services.notification_mark_read(user=current_user(request),
                                                       notification_id=notification_id)
    except NotFound:
        raise Http404(_("No such notification.")) from None
    if not services.link_is_local(notification.link):
        messages.info(request, _("This notification has no page to open."))
        return redirect("inbox:list")
    return HttpResponseRedirect(notification.link)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=current_user(request))
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("inbox:list")


@login_required
@require_POST
def email_settings(request: HttpRequest) -> HttpResponse:
    form = EmailDigestForm(request.POST)
    submitted = form_submit(form, lambda data: services.email_kinds_set(
        user=current_user(request), kinds=data["kinds"]))
    if not submitted.ok:
        return _render(request, form=form, status=submitted.status)
    messages.success(request, _("Your e-mail digest settings are saved."))
    return redirect(reverse("inbox:list") + "#email")
