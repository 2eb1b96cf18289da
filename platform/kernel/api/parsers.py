"""JSON bodies with bounded size and depth.

DRF's JSONParser reads a body of any size and any depth: a 200 KB body nested 100,000 deep made
the C JSON decoder overflow the stack (the interpreter's recursion limit had been raised by a
dependency, see core.apps) and took the process down. Here a body over API_JSON_MAX_BYTES is
refused with 413 and one nested deeper than API_JSON_MAX_DEPTH with 400, before anything uses it.
"""

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class TooLarge(APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = _("The request body is too large.")


def json_depth(value: Any) -> int:
    """How deeply containers nest in a decoded JSON value (iteratively: it must not recurse)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return deepest


def json_loads_bounded(text: str | bytes, *, max_depth: int) -> Any:
    """json.loads that raises ValueError for input nested deeper than `max_depth`."""
    try:
        value = json.loads(text)
    except RecursionError:  # deeper than the interpreter allows: certainly too deep
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    if json_depth(value) > max_depth:
        raise ValueError(f"nested deeper than {max_depth} levels")
    return value


class BoundedJSONParser(JSONParser):
    def parse(self, stream: IO[bytes] | None, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.API_JSON_MAX_BYTES
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise TooLarge(f"The JSON body is larger than {limit // 1024} KB.")
        try:
            return json_loads_bounded(data, max_depth=settings.API_JSON_MAX_DEPTH)
        except ValueError as exc:  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
            raise ParseError(f"JSON parse error: {exc}") from None
