"""Forms of the rights pages (rights/web/pages.py): they parse what people type; the services in
rights/services/works.py and rights/services.py decide, and their refusals come back onto these forms."""


from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from eth_utils import is_hex_address

from accounts.selectors import user_active
from rights.licences import LicenceKind
from rights.models import Currency, RegistrationMode
from rights.shares import TOTAL_SHARES

if TYPE_CHECKING:
    pass

PERSON_HELP = _("A username here (e.g. @ada) or an Ethereum address (0x and 40 hexadecimal digits).")


def person_or_address(text: str) -> dict[str, Any]:
    """{"user": id} for a username (with or without @), {"address": "0x…"} for an address."""
    value = text.strip()
    if value.lower().startswith("0x"):
        if not is_hex_address(value):
            raise forms.ValidationError(_("An address is 0x followed by 40 hexadecimal digits."),
                                        code="address")
        return {"address": value}
    username = value.removeprefix("@")
    user = user_active(username=username, exact_case=False) if username else None
    if user is None:
        raise forms.ValidationError(_("Nobody here has the username “%(name)s”. Give a username or an "
                                      "0x address."), params={"name": username}, code="person")
    return {"user": user.pk}


class PersonField(forms.CharField):
    """A username or an 0x address; cleans to {"user": id} or {"address": "0x…"}."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("help_text", PERSON_HELP)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
            "placeholder": _("@username or 0x…")}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        return person_or_address(text) if text else None


# --- register a work ------------------------------------------------------------------------


class Source:
    ASSET = "asset"
    UPLOAD = "upload"


class WorkCreateForm(forms.Form):
    """A new work: one of the projects' generated assets (choices given by the view) or an upload."""

    source = forms.ChoiceField(label=_("What to register"), widget=forms.RadioSelect, choices=[
        (Source.ASSET, _("A render from one of my projects")), (Source.UPLOAD, _("A file I upload"))],
        initial=Source.ASSET)
    asset = forms.TypedChoiceField(label=_("Render"), coerce=int, required=False, empty_value=None,
                                   widget=forms.RadioSelect)
    file = forms.FileField(label=_("File"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/png,image/jpeg,image/webp,video/mp4,video/webm"}))
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    licence = forms.ChoiceField(label=_("Licence"), choices=LicenceKind.choices, widget=forms.RadioSelect,
                                initial=LicenceKind.ALL_RIGHTS_RESERVED)
    terms = forms.CharField(label=_("Custom terms"), required=False, max_length=20000,
                            widget=forms.Textarea(attrs={"rows": 5}),
                            help_text=_("The licence's full text, for custom terms: its hash goes on "
                                        "the chain, the text in the work's public metadata."))
    mode = forms.ChoiceField(label=_("How to register"), choices=RegistrationMode.choices,
                             widget=forms.RadioSelect, initial=RegistrationMode.SINGLE)

    def __init__(self, *args: Any, asset_choices: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = asset_choices or []
        self.fields["asset"].choices = choices  # type: ignore[attr-defined]
        if not choices:
            self.fields["source"].initial = Source.UPLOAD
        self.fields["file"].help_text = _("A PNG, JPEG or WebP image or an MP4 or WebM video, up to "
                                          "%(mb)s MB.") % {"mb": settings.WORK_MAX_BYTES // 2**20}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == Source.ASSET and data.get("asset") is None and "asset" not in self.errors:
            self.add_error("asset", _("Choose a render, or upload a file instead."))
        if data.get("source") == Source.UPLOAD and not data.get("file") and "file" not in self.errors:
            self.add_error("file", _("Choose a file to upload, or register a render instead."))
        if data.get("licence") == LicenceKind.CUSTOM and not (data.get("terms") or "").strip():
            self.add_error("terms", _("Write the terms of the custom licence."))
        return data


# --- owners and shares ------------------------------------------------------------------------


class OwnerRowForm(forms.Form):
    """One co-owner: a person here or an address, and a share in basis points. A blank row is
    ignored."""

    who = PersonField(label=_("Owner"), required=False, help_text="")
    bps = forms.IntegerField(label=_("Share (basis points)"), required=False, min_value=1,
                             max_value=TOTAL_SHARES, widget=forms.NumberInput(attrs={
                                 "inputmode": "numeric", "step": 1, "class": "owners-row__bps"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("who") and data.get("bps") is None and "bps" not in self.errors:
            self.add_error("bps", _("Give this owner's share."))
        if data.get("bps") is not None and not data.get("who") and "who" not in self.errors:
            self.add_error("who", _("Whose share is it? A username or an 0x address."))
        return data


OwnerFormSet = forms.formset_factory(OwnerRowForm, extra=2, max_num=32, absolute_max=32)


def owner_rows(formset: Any) -> list[dict[str, Any]]:
    """The filled-in rows of a valid OwnerFormSet as rights.services.works.owners_set wants them."""
    return [{**form.cleaned_data["who"], "bps": form.cleaned_data["bps"]}
            for form in formset.forms if form.cleaned_data.get("who")]


class SubmitForm(forms.Form):
    acknowledge_similar = forms.BooleanField(
        label=_("I have looked at the similar works: mine is a different work. Register it anyway."),
        required=False)


# --- transfers and licences -------------------------------------------------------------------


class TransferForm(forms.Form):
    to = PersonField(label=_("To"))
    bps = forms.IntegerField(label=_("Basis points"), min_value=1, max_value=TOTAL_SHARES,
                             help_text=_("100 basis points make one per cent of the work."),
                             widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}))


class LicenceForm(forms.Form):
    licensee = PersonField(label=_("Licensee"))
    terms = forms.CharField(label=_("Terms"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("What the licensee may do. Its hash goes on the chain."))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text=_("The licence ends at the end of that day. Blank: it never "
                                             "expires."))

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


class OfferForm(forms.Form):
    """A licence offered for sale (rights.services.sales.offer_propose decides)."""

    title = forms.CharField(label=_("Name of the offer"), max_length=120,
                            help_text=_("What buyers see, e.g. “Broadcast licence” or “Personal use”."))
    licence = forms.ChoiceField(label=_("Licence"), choices=LicenceKind.choices, initial=LicenceKind.CC_BY)
    custom_terms = forms.CharField(label=_("Terms"), required=False, max_length=10_000,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text=_("What the buyer may do, beyond the licence chosen (needed for "
                                               "custom terms and all rights reserved)."))
    commercial = forms.BooleanField(label=_("Commercial use allowed"), required=False)
    territory = forms.CharField(label=_("Territory"), max_length=120, initial="Worldwide")
    duration_days = forms.IntegerField(label=_("Duration (days)"), required=False, min_value=1,
                                       max_value=36_500, help_text=_("Blank: perpetual."))
    remix_allowed = forms.BooleanField(label=_("Remixes allowed"), required=False)
    upstream_percent = forms.DecimalField(
        label=_("Upstream share of remixes (%)"), required=False, min_value=0, max_value=100,
        decimal_places=2,
        help_text=_("Of every licence sale of a remix made under this licence, paid to this work's owners."))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.NATIVE)
    price = forms.DecimalField(label=_("Price"), min_value=0, max_digits=40, decimal_places=18,
                               help_text=_("In ETH, or in US dollars for the stablecoin."))
    max_quantity = forms.IntegerField(label=_("Edition size"), required=False, min_value=1,
                                      max_value=1_000_000, help_text=_("Blank: unlimited."))

    def offer(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"title": data["title"], "licence": data["licence"], "custom_terms": data["custom_terms"],
                "commercial": data["commercial"], "territory": data["territory"],
                "duration_days": data["duration_days"], "remix_allowed": data["remix_allowed"],
                "upstream_bps": int((data["upstream_percent"] or 0) * 100), "currency": data["currency"],
                "price": str(data["price"]), "max_quantity": data["max_quantity"] or 0}
