"""Helpers for the server-rendered forms of every app."""

from collections.abc import Mapping

from django import forms

from kernel.errors import ServiceError


def add_service_error(form: forms.Form, exc: ServiceError,
                      aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's refusal on the form: its message on top, each field's messages on the field.

    `aliases` maps the service's field names to the form's (e.g. password -> password1). Messages
    about fields the form does not show go on top too, so nothing the service said is lost.
    """
    aliases = aliases or {}
    form.add_error(None, exc.message)
    for name, messages in exc.fields.items():
        field: str | None = aliases.get(name, name)
        if field not in form.fields:
            field = None
        for message in messages:
            if field is None and message == exc.message:
                continue
            form.add_error(field, message)
