"""Forms of the gallery's pages. They only shape input; recommend/services.py and
recommend/preferences.py decide what is allowed, and their refusals come back onto the fields."""

from typing import Any

from django import forms
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from aesthetics.measures import MEASURES
from recommend.taste import TASTE
from rights.licences import LicenceKind

VARIETY_HELP = _("0: only what you like. 100: show me everything. In between, the feed mixes in works "
                 "unlike what you usually see, and spreads out works that look alike.")


def publication_languages() -> list[tuple[str, str]]:
    """Every language a publication may be in, by its own name (“Deutsch (de)”)."""
    rows = [(code, f"{info['name_local']} ({code})") for code, info in LANG_INFO.items()
            if "fallback" not in info]
    return sorted(rows, key=lambda row: row[1].casefold())


class PublishForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=140,
        error_messages={"required": _("Give the work a title of 1 to 140 characters.")})
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What it shows, how it was made, up to 2,000 characters."))
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "placeholder": _("ocean dusk slow-motion")}),
        help_text=_("Up to 10 words, separated by spaces or commas: letters, digits, - and _. They help "
                    "people who like them find the work."))
    language = forms.ChoiceField(label=_("Language of the title and description"),
                                 choices=publication_languages)
    licence = forms.ChoiceField(label=_("Licence"), choices=LicenceKind.choices, required=False,
                                widget=forms.RadioSelect)

    def __init__(self, *args: Any, fixed_licence: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        licence = self.fields["licence"]
        assert isinstance(licence, forms.ChoiceField)
        if fixed_licence:  # a registered work keeps the licence it was registered under
            licence.disabled = True
            licence.initial = fixed_licence
        else:  # custom terms are written when a work is registered; a publication has none of its own
            licence.choices = [(value, label) for value, label in LicenceKind.choices
                               if value != LicenceKind.CUSTOM]


class PreferencesForm(forms.Form):
    """Blocked tags and creators, variety. The tag weights come as parallel lists (tag, weight) and
    are read by the view; `tag_weights` is here so their errors have a field to go to."""

    tag_weights = forms.CharField(required=False, widget=forms.HiddenInput)
    blocked_tags = forms.CharField(
        label=_("Never show works tagged"), max_length=4000, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "placeholder": _("gore jump-scare")}),
        help_text=_("Tags separated by spaces or commas."))
    blocked_creators = forms.CharField(
        label=_("Never show works by"), max_length=4000, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "spellcheck": "false", "placeholder": _("username1 username2")}),
        help_text=_("Usernames separated by spaces or commas."))
    variety = forms.IntegerField(
        label=_("Variety"), min_value=0, max_value=100, help_text=VARIETY_HELP,
        widget=forms.NumberInput(attrs={"type": "range", "step": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in TASTE:  # "less of it / no preference / more of it", in the measure's own words
            scale = MEASURES[name]
            self.fields[f"taste_{name}"] = forms.TypedChoiceField(
                label=scale.label, coerce=int, required=False, empty_value=0,  # type: ignore[arg-type]
                initial=0, help_text=str(scale.explains),
                choices=[(-1, str(scale.less).capitalize()), (0, _("No preference")),
                         (1, str(scale.more).capitalize())])

    def taste_fields(self) -> list[forms.BoundField]:
        return [self[f"taste_{name}"] for name in TASTE]

    @staticmethod
    def taste_of(data: dict[str, Any]) -> dict[str, int]:
        return {name: data.get(f"taste_{name}") or 0 for name in TASTE}


class OnboardingForm(forms.Form):
    tags = forms.MultipleChoiceField(label=_("Tags you like"), required=False,
                                     widget=forms.CheckboxSelectMultiple)
    other = forms.CharField(
        label=_("Other tags"), max_length=500, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                      "placeholder": _("lighthouse noir")}),
        help_text=_("Separated by spaces or commas."))
    variety = forms.IntegerField(label=_("Variety"), min_value=0, max_value=100, initial=30,
                                 help_text=VARIETY_HELP,
                                 widget=forms.NumberInput(attrs={"type": "range", "step": 5}))

    def __init__(self, *args: Any, tag_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tags = self.fields["tags"]
        assert isinstance(tags, forms.ChoiceField)
        tags.choices = tag_choices


class RemixForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Into the project"), coerce=int)
    prompt = forms.CharField(
        label=_("Prompt"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Starts from the work's prompt and settings: change what you want."))

    def __init__(self, *args: Any, project_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project = self.fields["project"]
        assert isinstance(project, forms.ChoiceField)
        project.choices = project_choices


def words(raw: str) -> list[str]:
    """“a, b c” -> ["a", "b", "c"]."""
    return [word for word in raw.replace(",", " ").split() if word]
