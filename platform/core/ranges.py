"""HTTP range requests for files (RFC 9110 section 14): browsers seek in a video, and Safari
plays one at all, only when the server answers `Range: bytes=...` with 206 Partial Content."""

import re
from typing import IO

from django.http import FileResponse, HttpRequest, HttpResponse

MAX_PART = 8 * 1024 * 1024  # bytes in one partial answer; the client asks again for the rest
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file_response(request: HttpRequest, handle: IO[bytes], *, size: int, content_type: str | None,
                  filename: str, as_attachment: bool = False) -> HttpResponse | FileResponse:
    """The whole file, or the one byte range asked for (multi-range requests get the whole file,
    which the RFC allows)."""
    match = _RANGE.match(request.headers.get("Range", "").replace(" ", ""))
    if match is None or match.groups() == ("", ""):
        response: HttpResponse | FileResponse = FileResponse(
            handle, content_type=content_type, as_attachment=as_attachment, filename=filename)
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
