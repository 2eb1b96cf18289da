from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class ChoiceField(serializers.ChoiceField):
    """A choice field whose error lists what is allowed."""

    default_error_messages = {"invalid_choice": _("“{input}” is not allowed. Allowed: {allowed}.")}

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=data, allowed=", ".join(map(str, self.choices)))
