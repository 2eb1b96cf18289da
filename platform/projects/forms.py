"""Forms for the project pages. They only shape input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from projects.roles import Role


class ProjectForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=120,
        error_messages={"required": _("Give the project a name of 1 to 120 characters.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the story is about, up to 5,000 characters."))


class InviteForm(forms.Form):
    invitee = forms.CharField(
        label=_("Username or e-mail"), max_length=254,
        help_text=_("Someone without an account gets an e-mail and joins after signing up."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.EDITOR)


class DeleteForm(forms.Form):
    confirm_name = forms.CharField(
        label=_("Project name"), max_length=120, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
