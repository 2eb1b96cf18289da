"""HTTP range requests for files (RFC 9110 section 14): browsers seek in a video, and Safari
plays one at all, only when the server answers `Range: bytes=...` with 206 Partial Content."""

import asyncio
import re
from collections.abc import AsyncIterator
from typing import IO

from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

MAX_PART = 8 * 1024 * 1024  # bytes in one partial answer; the client asks again for the rest
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file_response(request: HttpRequest, handle: IO[bytes], *, size: int, content_type: str | None,
                  filename: str, as_attachment: bool = False) -> HttpResponseBase:
    """The whole file, or the one byte range asked for (multi-range requests get the whole file,
    which the RFC allows)."""
    match = _RANGE.match(request.headers.get("Range", "").replace(" ", ""))
    if match is None or match.groups() == ("", ""):
        response: HttpResponseBase
        if isinstance(getattr(request, "_request", request), ASGIRequest):  # (DRF wraps the request)
            # Under ASGI a FileResponse's synchronous iterator is read into memory whole before the
            # first byte goes out (Django warns); chunks read in a thread stream instead.
            response = StreamingHttpResponse(_chunks(handle), content_type=content_type)
            response["Content-Length"] = str(size)
            response["Content-Disposition"] = content_disposition_header(as_attachment, filename) or ""
        else:
            response = FileResponse(handle, content_type=content_type, as_attachment=as_attachment,
                                    filename=filename)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    end = min(end, start + MAX_PART - 1)
    with handle:
        handle.seek(start)
        data = handle.read(end - start + 1)
    response = HttpResponse(data, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


async def _chunks(handle: IO[bytes], size: int = 256 * 1024) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
