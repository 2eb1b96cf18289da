"""The gallery preferences page: tags the viewer wants more or less of, tags and creators never to
show, how much variety, the looks they want more or less of (with what the feed has learned of
their eye), and the works they hid. recommend/preferences.py decides."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.selectors import current_user
from aesthetics.measures import MEASURES
from kernel.forms import form_submit
from recommend import selectors
from recommend.feed import viewer_leanings
from recommend.page_forms import PreferencesForm, words
from recommend.preferences import preferences_get, preferences_update

WEIGHTS = [("-1", gettext_lazy("Less")), ("0", gettext_lazy("Normal")), ("1", gettext_lazy("More")),
           ("2", gettext_lazy("Much more"))]
SUGGESTED_TAGS = 50


def _value(weight: float | str) -> str:
    """A weight as the select's value: "-1", "0.5", "2"."""
    try:
        return f"{float(weight):g}"
    except (TypeError, ValueError):
        return str(weight)


def weight_rows(pairs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each tag with its weight's options (a weight set elsewhere, such as 0.5, is kept as is)."""
    rows = []
    for tag, weight in pairs:
        value = _value(weight)
        options = [(v, str(text), v == value) for v, text in WEIGHTS]
        if not any(selected for _v, _t, selected in options):
            options.append((value, _("Custom (%(weight)s)") % {"weight": value}, True))
        rows.append({"tag": tag, "options": options})
    return rows


def _posted_weights(request: HttpRequest) -> tuple[list[tuple[str, str]], dict[str, float], list[str]]:
    """The rows as posted, the weights they give, and what was wrong with them."""
    tags = request.POST.getlist("weight_tag")
    values = request.POST.getlist("weight_value")
    rows: list[tuple[str, str]] = []
    weights: dict[str, float] = {}
    errors: list[str] = []
    for tag, value in zip(tags, values, strict=False):
        tag = tag.strip()
        if not tag:
            continue
        rows.append((tag, value))
        try:
            weight = float(value)
        except ValueError:
            errors.append(_("The weight of %(tag)s is a number from -1 to 2.") % {"tag": tag})
            continue
        weights[tag] = weight
    return rows, weights, errors


@login_required
@require_http_methods(["GET", "POST"])
def preferences_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    prefs = preferences_get(user=user)
    status = 200
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        rows, weights, weight_errors = _posted_weights(request)
        for message in weight_errors:  # (the form is then invalid, and the service not called)
            form.add_error("tag_weights", message)
        submitted = form_submit(form, lambda data: preferences_update(
            user=user, tag_weights=weights, blocked_tags=words(data["blocked_tags"]),
            blocked_creators=words(data["blocked_creators"]), variety=data["variety"],
            taste=PreferencesForm.taste_of(data)), aliases={"taste": "taste_colourfulness"})
        if submitted.ok:
            messages.success(request, _("Preferences saved: your gallery follows them from now on."))
            return redirect("gallery:preferences")
        status = submitted.status
        weighted = weight_rows(rows)
    else:
        form = PreferencesForm(initial={
            "blocked_tags": " ".join(sorted(tag.name for tag in prefs.blocked_tags.all())),
            "blocked_creators": " ".join(sorted(u.username for u in prefs.blocked_creators.all())),
            "variety": prefs.variety,
            **{f"taste_{name}": direction for name, direction in prefs.taste.items()}})
        weighted = weight_rows(sorted(prefs.tag_weights.items(), key=lambda item: (-item[1], item[0])))
    return render(request, "recommend/preferences.html", {
        "form": form, "weighted": weighted, "blank_row": weight_rows([("", "1")])[0],
        "suggested": [tag.name for tag in selectors.popular_tags(limit=SUGGESTED_TAGS)],
        "hidden": selectors.hidden_works(user), "onboarded": prefs.onboarded_at is not None,
        "learned": _learned(user)}, status=status)


def _learned(user: Any) -> list[str]:
    """What the feed has learned of the viewer's eye, in words: "warmer", "more muted"."""
    return [str(MEASURES[name].more if strength > 0 else MEASURES[name].less)
            for name, strength in viewer_leanings(user)]
