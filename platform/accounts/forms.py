"""Forms for the account pages. They only shape input; the services decide what is allowed."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import DEFAULT_TOKEN_SCOPES, TokenScope
from accounts.selectors import user_find


class LoginForm(AuthenticationForm):
    """Django's login form, accepting a username or an e-mail address."""

    username = forms.CharField(
        label=_("Username or e-mail"), max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username",
                                      "autocapitalize": "none", "spellcheck": "false"}))

    def clean(self) -> dict[str, Any]:
        identifier = (self.cleaned_data.get("username") or "").strip()
        if "@" in identifier:
            user = user_find(identifier=identifier)
            if user is not None:
                self.cleaned_data["username"] = user.get_username()
        return super().clean()


class SignupForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150,
        help_text=_("Letters, digits and @/./+/-/_ only. Others use it to invite you."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True}))
    email = forms.EmailField(
        label=_("E-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(
        label=_("Display name"), max_length=80, required=False,
        help_text=_("Shown to your collaborators instead of your username."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        help_text=_("At least 8 characters; not entirely numeric, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


def language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class ProfileForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254,
        help_text=_("A new address must be verified again: we mail it a link."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(
        label=_("Display name"), max_length=80, required=False,
        help_text=_("Shown to your collaborators; leave empty to use your username."))
    bio = forms.CharField(
        label=_("Bio"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A few words about you, up to 1,000 characters."))
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=language_choices)
    avatar = forms.FileField(
        label=_("New avatar"), required=False,
        help_text=_("PNG, JPEG, WebP or GIF, at most 2 MB."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}))
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}))
    new_password1 = forms.CharField(
        label=_("New password"), strip=False,
        help_text=_("At least 8 characters; not entirely numeric, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(
        label=_("New password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    revoke_tokens = forms.BooleanField(
        label=_("Also revoke all my API tokens"), required=False, initial=True,
        help_text=_("Programs using them stop working until you give them new tokens. Other "
                    "browsers where you are signed in are signed out in any case."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords differ."))
        return cleaned


EXPIRY_CHOICES = [("7", _("7 days")), ("30", _("30 days")), ("90", _("90 days")), ("", _("Never expires"))]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=80,
        help_text=_("What the token is for, e.g. “laptop CLI” or “render script”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"), choices=TokenScope.choices, initial=DEFAULT_TOKEN_SCOPES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Give a token no more than the program needs."))
    expires_in_days = forms.ChoiceField(
        label=_("Expires after"), choices=EXPIRY_CHOICES, required=False, initial="90",
        widget=forms.RadioSelect)

    def clean_expires_in_days(self) -> int | None:
        value = self.cleaned_data.get("expires_in_days") or ""
        return int(value) if value else None
