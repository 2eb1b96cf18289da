"""Request bodies bounded before they are read.

Django reads an upload whole before any view can look at its size: under ASGI the handler spools
the entire body (to memory, then disk) before the request exists, and the upload handlers then
copy every file to memory or a temporary file. Here each route declares the most it takes in files
(`upload_limit("WORK_MAX_BYTES")`, a setting's name; UPLOAD_DEFAULT_MAX_BYTES for the rest), and:

- `BodyLimit` (ASGI, around the whole HTTP app) gives Django no body at all when Content-Length
  says more than the route's ceiling, and stops passing chunks on once a body without one (chunked)
  goes past it: no more than the ceiling is ever buffered;
- `UploadLimitMiddleware` (Django, before the CSRF check reads any form) refuses the same by
  Content-Length, and puts `CappedUploadHandler` first, which stops reading files past the cap
  (under WSGI, or when a body's files are over the cap but the whole is under the ceiling).

An API view's refusal is 413 in the API's error shape; a page declared with `page=True` is called
with `upload_refusal(request)` set and shows its form with the error instead.

The ceiling on a whole body is the route's cap on files plus the largest other part a body may
carry: form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) or a JSON document (API_JSON_MAX_BYTES).
"""

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from kernel.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
V = TypeVar("V")

REFUSED = "storyloom.body_refused"  # set in the ASGI scope when the body was not (all) passed on


class UploadTooLarge(RequestDataTooBig):
    """A body or its files over the route's cap (413). Its message is for the user."""

    status_code = 413

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(_("The upload is too large: at most %(size)s can be sent here.") % {
            "size": filesizeformat(limit)})


# --- what a route takes --------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadLimit:
    setting: str  # the name of the setting that holds the cap, read at each request
    page: bool  # shows its own form with the refusal (else: 413 in the API's error shape)


def upload_limit(setting: str, *, page: bool = False) -> Callable[[V], V]:
    """Declare the most a view (a function, or a DRF view class) takes in files, as the name of a
    setting. A `page` is called when its upload is refused, with `upload_refusal(request)` set,
    and must then only show its form with that error."""
    def declare(view: V) -> V:
        view.upload_limit = UploadLimit(setting, page)  # type: ignore[attr-defined]
        return view
    return declare


def declared(view: Callable[..., Any] | None) -> UploadLimit | None:
    """A view's declaration: on the function (kept through decorators by functools.wraps) or on
    the class of a class-based view (`as_view()` keeps it as `cls` in DRF, `view_class` in Django)."""
    for holder in (view, getattr(view, "cls", None), getattr(view, "view_class", None)):
        found = getattr(holder, "upload_limit", None)
        if isinstance(found, UploadLimit):
            return found
    return None


def files_limit(view: Callable[..., Any] | None) -> int:
    """The most a view takes in files, in bytes."""
    limit = declared(view)
    return int(getattr(settings, limit.setting)) if limit else settings.UPLOAD_DEFAULT_MAX_BYTES


def body_ceiling(files: int) -> int:
    """The most a whole body may be for a route taking `files` bytes of files."""
    return files + max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0, settings.API_JSON_MAX_BYTES)


def view_at(path: str) -> Callable[..., Any] | None:
    try:
        return resolve(path).func
    except Resolver404:
        return None


def refusal_response(error: UploadTooLarge) -> HttpResponse:
    return JsonResponse(error_body("too_large", str(error)), status=413)


# --- Django: the cap before the form is read ---------------------------------------------------------


class CappedUploadHandler(FileUploadHandler):
    """First of the upload handlers: counts the bytes of every file of the request and stops the
    upload (UploadTooLarge) past the cap, before the next handler stores that chunk."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def handle_raw_input(self, input_data: Any, META: dict[str, Any], content_length: int, boundary: str,
                         encoding: str | None = None) -> None:
        if content_length > body_ceiling(self.limit):
            raise UploadTooLarge(self.limit)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._abandon()
            raise UploadTooLarge(self.limit)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _abandon(self) -> None:
        """Drop what the other handlers kept of this upload, and make the form read as empty
        from now on (the body is half read: nothing may parse it again)."""
        assert self.request is not None
        for handler in self.request.upload_handlers:
            if handler is not self:
                handler.upload_interrupted()
        _read_as_empty(self.request)


def _read_as_empty(request: HttpRequest) -> None:
    """The form reads as empty from now on (Django's own answer to a body it could not parse)."""
    request._mark_post_parse_error()  # type: ignore[attr-defined]


def content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def upload_refusal(request: HttpRequest) -> UploadTooLarge | None:
    """Why a page's upload was refused (None: it was not)."""
    refusal = getattr(request, "upload_refused", None)
    return refusal if isinstance(refusal, UploadTooLarge) else None


def show_refusal(form: forms.BaseForm, field: str, refusal: UploadTooLarge) -> None:
    """Put a refusal on a form's field; the form may be unbound (the form as it was before)."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}  # (add_error expects a cleaned form)
    form.add_error(field, str(refusal))


class UploadLimitMiddleware:
    """Place before CsrfViewMiddleware (which reads forms). See the module's description."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable[..., Any], args: Any,
                     kwargs: Any) -> HttpResponse | None:
        limit = files_limit(view)
        declaration = declared(view)
        page = declaration is not None and declaration.page
        refused = bool(getattr(request, "scope", {}).get(REFUSED)) or (
            content_length(request) > body_ceiling(limit))
        if not refused:
            handlers = request.upload_handlers
            if isinstance(handlers, list):  # (a tuple once something has read the form)
                handlers.insert(0, CappedUploadHandler(request, limit))
            if not (page and request.method == "POST"):
                return None
            try:  # a page's form is read here, so that an overflow is shown on the page
                request.POST  # noqa: B018
                request.FILES  # noqa: B018
                return None
            except UploadTooLarge:
                pass
        if not page:
            return refusal_response(UploadTooLarge(limit))
        request.upload_refused = UploadTooLarge(limit)  # type: ignore[attr-defined]
        _read_as_empty(request)  # nothing reads the body
        # The page only shows its form with the error, and a form's CSRF token came in the body
        # it did not read: the check would refuse every such request with a bare 403.
        request.csrf_processing_done = True  # type: ignore[attr-defined]
        return None


# --- ASGI: never more than the ceiling from the client ---------------------------------------------


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


async def _nothing_more() -> Message:
    """What a receive gives once the body is over: nothing until the app stops waiting."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


class BodyLimit:
    """ASGI middleware for the HTTP app. See the module's description."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length_header = _header(scope, b"content-length")
        chunked = _header(scope, b"transfer-encoding") is not None
        if scope["type"] != "http" or (length_header is None and not chunked):
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        ceiling = body_ceiling(files_limit(view_at(path)))
        try:
            declared_length = int(length_header) if length_header is not None else None
        except ValueError:
            declared_length = None
        state = {"received": 0, "refused": declared_length is not None and declared_length > ceiling}
        if state["refused"]:
            scope = {**scope, REFUSED: True}

        async def bounded_receive() -> Message:
            if state["refused"]:
                if state.get("ended"):
                    return await _nothing_more()
                state["ended"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > ceiling:  # (this chunk is not passed on)
                    state["refused"] = state["ended"] = True
                    scope[REFUSED] = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and state["refused"]:
                # The rest of the body is never read: the connection cannot serve another request.
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, bounded_receive, closing_send)
