from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.models import Kind


class EmailDigestForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("E-mail me a digest of"), choices=Kind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Unread notifications of these kinds are e-mailed to you together, each once."))
