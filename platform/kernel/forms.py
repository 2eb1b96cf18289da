"""Helpers for the server-rendered forms of every app."""

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from django import forms

from kernel.errors import ServiceError

T = TypeVar("T")


def add_service_error(form: forms.BaseForm, exc: ServiceError,
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


class Submitted(Generic[T]):
    """What submitting a page's form to a service came to: `ok` with the service's `result`, or
    not, with the form carrying the errors and `status` the one to answer with (400 for a form
    that does not validate, the service's own for its refusal)."""

    ok = False
    status = 400
    result: T


def form_submit(form: forms.BaseForm, call: Callable[[dict[str, Any]], T], *,
                aliases: Mapping[str, str] | None = None) -> Submitted[T]:
    """Validate `form` and, when it is valid, call the service: `call(form.cleaned_data)`.
    A ServiceError it raises goes on the form (`add_service_error`, with `aliases`)."""
    submitted: Submitted[T] = Submitted()
    if not form.is_valid():
        return submitted
    try:
        submitted.result = call(form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc, aliases)
        submitted.status = exc.status
        return submitted
    submitted.ok, submitted.status = True, 200
    return submitted
