"""The forms of the reviews' pages (the services check everything again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from recommend.services import ReportReason
from reviews.models import BODY_MAX, DECISION_NOTE_MAX, NOTE_MAX
from reviews.services import DECISIONS, MAX_ID


class ReviewForm(forms.Form):
    body = forms.CharField(label=_("Your review"), max_length=BODY_MAX,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": BODY_MAX}),
                           help_text=_("Plain text, up to 2,000 characters. Everyone can read it."))
    parent = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def __init__(self, *args: object, reply: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if reply:
            self.fields["body"].label = _("Your reply")


class EditForm(forms.Form):
    body = forms.CharField(label=_("Your review"), max_length=BODY_MAX,
                           widget=forms.Textarea(attrs={"rows": 4, "maxlength": BODY_MAX}),
                           help_text=_("Plain text, up to 2,000 characters. It will say “edited”."))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong with it?"), choices=ReportReason.choices,
                               widget=forms.RadioSelect)
    note = forms.CharField(label=_("Anything a moderator should know"), required=False, max_length=NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX}))


DECISION_CHOICES = [
    (DECISIONS[0].value, _("Restore: show it again and settle its reports")),
    (DECISIONS[1].value, _("Remove it: its replies stay")),
]


class DecisionForm(forms.Form):
    action = forms.ChoiceField(label=_("Decision"), choices=DECISION_CHOICES, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=DECISION_NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Why: the review's author is told when it is removed."))
    last_decision = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)
