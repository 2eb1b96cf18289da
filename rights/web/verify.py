"""The public /verify/ page: paste an identifier (GET, so an answer can be linked to) or upload a
file (POST); no login needed, throttled per client address with the API (THROTTLE_VERIFY), the
file capped at VERIFY_MAX_BYTES before it is read. rights.verify.lookup does the work; this only shows it."""

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from kernel.errors import ValidationFailed
from kernel.uploads import show_refusal, upload_limit, upload_refusal
from rights.api.verify_views import verify_wait
from rights.verify.lookup import Verification, verify

HEX_INPUT = {"autocomplete": "off", "spellcheck": "false"}


def holder_field() -> forms.CharField:
    return forms.CharField(
        label=_("Licence holder"), max_length=100, required=False,
        help_text=_("An address (0x and 40 hexadecimal digits): whether it holds a licence of the work."),
        widget=forms.TextInput(attrs={**HEX_INPUT, "placeholder": "0x…"}))


class VerifyQueryForm(forms.Form):
    query = forms.CharField(
        label=_("SHA-256, ISCC code or transaction hash"), max_length=200, required=False,
        help_text=_("64 hexadecimal digits, ISCC:…, or 0x and 64 hexadecimal digits."),
        widget=forms.TextInput(attrs={**HEX_INPUT, "placeholder": "ISCC:…"}))
    holder = holder_field()
    licence = forms.CharField(
        label=_("Licence token"), max_length=100, required=False,
        help_text=_("A licence's token id (0x…, or its number): alone, it verifies the work it licenses."),
        widget=forms.TextInput(attrs={**HEX_INPUT, "placeholder": "0x…"}))


class VerifyFileForm(forms.Form):
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/png,image/jpeg,image/webp,video/mp4,video/webm"}))
    holder = holder_field()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].help_text = _("A PNG, JPEG or WebP image or an MP4 or WebM video, up to "
                                          "%(mb)s MB. It is checked, not kept.") % {
                                              "mb": settings.VERIFY_MAX_BYTES // 2**20}


def _show_error(form: forms.Form, error: ValidationFailed) -> None:
    """Each field's first message on the field (the rest repeat its help), and the service's
    message on top unless a field says it."""
    said = []
    for name, messages in error.fields.items():
        if messages:
            form.add_error(name if name in form.fields else None, messages[0])
            said.append(messages[0])
    if error.message not in said:
        form.add_error(None, error.message)


@require_http_methods(["GET", "POST"])
@upload_limit("VERIFY_MAX_BYTES", page=True)
def verify_page(request: HttpRequest) -> HttpResponse:
    refusal = upload_refusal(request)
    asked_by_link = any(name in request.GET for name in VerifyQueryForm.base_fields)
    query_form = VerifyQueryForm(request.GET if asked_by_link else None)
    file_form = (VerifyFileForm(request.POST, request.FILES) if request.method == "POST" and refusal is None
                 else VerifyFileForm())
    result: Verification | None = None
    status = 200
    asked: forms.Form | None = file_form if request.method == "POST" else (
        query_form if query_form.is_bound else None)
    wait = verify_wait(request) if asked is not None and refusal is None else None
    if refusal is not None:
        show_refusal(file_form, "file", refusal)
        status = refusal.status_code
    elif wait is not None:
        assert asked is not None
        asked.add_error(None, _("Too many verifications from your address: try again in %(n)s "
                                "seconds.") % {"n": wait})
        status = 429
    elif asked is not None:
        if asked.is_valid():
            data = asked.cleaned_data
            try:
                result = (verify(upload=data["file"], holder=data["holder"]) if asked is file_form else
                          verify(query=data["query"], holder=data["holder"], licence=data["licence"]))
            except ValidationFailed as error:
                _show_error(asked, error)
        if result is None:
            status = 400
    response = render(request, "rights/verify.html", {"query_form": query_form, "file_form": file_form,
                                                      "result": result}, status=status)
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response
