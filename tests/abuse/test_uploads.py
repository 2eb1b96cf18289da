"""Request bodies are capped before they are read (kernel.uploads), on every route that takes a file
and on those that take none: a Content-Length over the cap is answered 413 at once, and a body
that goes past it (chunked, or files over the cap in a body under it) stops being read there.

Seen before: every upload was read whole (to memory, then a temporary file) before its size was
checked, so a client could make the server receive and store any number of gigabytes."""

import asyncio
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from rest_framework.test import APIClient

from accounts.models import User
from core.asgi import application
from kernel.uploads import body_ceiling
from rights.models import Work
from tests.accounts.factories import UserFactory, image_file
from tests.servers import AsgiServer

pytestmark = pytest.mark.django_db

KiB, MiB, GiB = 1024, 1024**2, 1024**3
CHUNK = 64 * KiB  # what a server hands the application at a time (uvicorn reads 64 KiB)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def file_body(size: int, name: str = "big.png", **fields: str) -> bytes:
    return encode_multipart(BOUNDARY, {**fields, "file": SimpleUploadedFile(name, b"\x89PNG" + b"\0" * size)})


# --- a real server (uvicorn, as `make up` runs it) -----------------------------------------------


def raw_request(url: str, path: str, headers: dict[str, str], body: bytes = b"",
                timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send a request's head and the start of its body, then read the answer (without sending
    the rest: a server that waits for all of it never answers)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


@pytest.mark.parametrize("path", ["/api/v1/verify", "/api/v1/works", "/api/v1/projects", "/verify/"])
def test_a_body_that_says_it_is_10_gb_is_answered_413_before_any_of_it_is_read(live_server_url: str,
                                                                              path: str) -> None:
    start = file_body(KiB)[:512]
    status, headers, body = raw_request(live_server_url, path, {
        "Content-Type": MULTIPART_CONTENT, "Content-Length": str(10 * GiB)}, start)
    assert status == 413
    assert headers["connection"] == "close"  # the rest of it is never read
    if path.startswith("/api/"):
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body)["error"]["code"] == "too_large"
    else:  # the page, with its form and the reason on it
        assert b"The upload is too large" in body and b'type="file"' in body


def test_a_chunked_body_is_cut_off_at_the_cap_by_a_real_server() -> None:
    server = AsgiServer.start(VERIFY_MAX_BYTES=str(64 * KiB))
    sent = 0
    answer: dict[str, object] = {}
    try:
        host, port = server.url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=30)

        def read_answer() -> None:
            response = http.client.HTTPResponse(sock)
            try:
                response.begin()
                answer.update(status=response.status, body=response.read())
            except OSError as error:
                answer["error"] = error

        reader = threading.Thread(target=read_answer)
        sock.sendall(f"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {MULTIPART_CONTENT}"
                     "\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        reader.start()
        start = file_body(KiB)[:300]
        chunk = start + b"\0" * (CHUNK - len(start))
        try:
            while sent < 512 * MiB and reader.is_alive():
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
                chunk = b"\0" * CHUNK
        except OSError:  # the server closed the connection: what it had not read is refused
            pass
        reader.join(timeout=30)
        sock.close()
        assert answer.get("status") == 413, answer
        assert json.loads(answer["body"])["error"]["code"] == "too_large"
        # What the client could push before the refusal: the cap, plus what the kernel buffers.
        assert sent < 64 * MiB
        with socket.create_connection((host, int(port)), timeout=10):
            pass  # still serving
    finally:
        server.stop()


# --- through the ASGI application itself: exactly how much is pulled ------------------------------


class Client_:
    """A client on the ASGI interface: a body of `chunks` handed over one receive() at a time."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pulled = 0
        self.messages: list[dict] = []

    async def receive(self) -> dict:
        chunk = next(self.chunks, None)
        if chunk is None:
            # No more: the client goes quiet for good; the application is cancelled waiting.
            await asyncio.get_running_loop().create_future()
        assert chunk is not None
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: dict) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


def asgi_post(path: str, client: Client_, headers: list[tuple[bytes, bytes]]) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", MULTIPART_CONTENT.encode()), *headers],
             "client": ("203.0.113.9", 5000), "server": ("127.0.0.1", 80)}

    async def call() -> None:
        await asyncio.wait_for(application(scope, client.receive, client.send), timeout=60)

    asyncio.run(call())


def endless(first: bytes) -> Iterator[bytes]:
    yield first
    while True:
        yield b"\0" * CHUNK


@pytest.mark.parametrize("path", ["/api/v1/verify", "/verify/"])
def test_a_chunked_body_past_the_cap_is_not_read_further(settings, path: str) -> None:
    settings.VERIFY_MAX_BYTES = 256 * KiB
    client = Client_(endless(file_body(KiB)[:CHUNK]))
    asgi_post(path, client, [(b"transfer-encoding", b"chunked")])
    assert client.status == 413
    assert client.pulled <= body_ceiling(256 * KiB) + CHUNK
    if path.startswith("/api/"):
        assert json.loads(client.body)["error"]["code"] == "too_large"
    else:
        assert b"The upload is too large" in client.body


def test_a_content_length_over_the_cap_pulls_nothing_of_the_body() -> None:
    client = Client_(endless(file_body(KiB)[:CHUNK]))
    asgi_post("/api/v1/verify", client, [(b"content-length", str(10 * GiB).encode())])
    assert client.status == 413 and client.pulled == 0


# --- under WSGI (and the test client): the upload handler stops reading at the cap ----------------


class CountingPayload(FakePayload):
    """A request body that counts what the server reads of it."""

    def __init__(self, content: bytes) -> None:
        super().__init__(content)
        self.taken = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def post_counted(client: Client, path: str, body: bytes, method: str = "POST") -> tuple[object, int]:
    payload = CountingPayload(body)
    response = client.generic(method, path, body, content_type=MULTIPART_CONTENT,
                              **{"wsgi.input": payload})
    return response, payload.taken


def test_files_over_the_cap_in_a_body_under_the_ceiling_stop_being_read_at_the_cap(settings,
                                                                                  media: Path) -> None:
    settings.WORK_MAX_BYTES = 128 * KiB
    api = APIClient()
    api.force_login(UserFactory())
    body = file_body(2 * MiB, title="Big", licence="cc-by-4.0")
    assert len(body) < body_ceiling(128 * KiB)  # (so it is the upload handler that stops it)
    response, taken = post_counted(api, "/api/v1/works", body)
    assert response.status_code == 413, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "too_large" and "128" in error["message"]
    assert taken <= 128 * KiB + 4 * CHUNK  # the cap, and what the parser reads ahead
    assert not Work.objects.exists() and stored_files(media) == []


def test_a_content_length_over_the_cap_is_refused_without_reading() -> None:
    api = APIClient()
    api.force_login(UserFactory())
    payload = CountingPayload(b"x" * KiB)
    response = api.generic("POST", "/api/v1/works", b"", content_type=MULTIPART_CONTENT,
                           **{"wsgi.input": payload, "CONTENT_LENGTH": str(10 * GiB)})
    assert response.status_code == 413 and payload.taken == 0
    assert response.json()["error"]["code"] == "too_large"


def test_a_route_that_takes_no_file_refuses_one_over_the_default_cap(settings) -> None:
    settings.UPLOAD_DEFAULT_MAX_BYTES = 64 * KiB
    api = APIClient()
    api.force_login(UserFactory())
    response, taken = post_counted(api, "/api/v1/projects", file_body(MiB, name="junk.bin"))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert taken <= 64 * KiB + 4 * CHUNK


def test_the_verify_page_shows_its_form_with_the_refusal(settings) -> None:
    settings.VERIFY_MAX_BYTES = 128 * KiB
    page = Client(enforce_csrf_checks=True)  # the token is in the body that is not read
    response, taken = post_counted(page, "/verify/", file_body(MiB))
    assert response.status_code == 413
    assert taken <= 128 * KiB + 4 * CHUNK
    text = response.content.decode()
    assert "The upload is too large: at most 128" in text and 'type="file"' in text


def test_an_avatar_over_the_cap_is_refused_by_the_api_and_the_page(settings, media: Path) -> None:
    settings.AVATAR_MAX_BYTES = 64 * KiB
    user = UserFactory()
    api = APIClient()
    api.force_login(user)
    big = encode_multipart(BOUNDARY, {"avatar": SimpleUploadedFile("me.png", b"\x89PNG" + b"\0" * MiB)})
    response, taken = post_counted(api, "/api/v1/profile", big, method="PATCH")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert taken <= 64 * KiB + 4 * CHUNK
    page = Client()
    page.force_login(user)
    response, taken = post_counted(page, "/accounts/profile/", big)
    assert response.status_code == 413 and taken <= 64 * KiB + 4 * CHUNK
    assert "The upload is too large" in response.content.decode()
    user.refresh_from_db()
    assert not user.avatar and stored_files(media) == []
    # An avatar under the cap still goes through.
    small = image_file("me.png")
    assert api.patch("/api/v1/profile", {"avatar": small}, format="multipart").status_code == 200
    assert User.objects.get(pk=user.pk).avatar


def test_an_upload_under_the_caps_is_read_as_before(settings) -> None:
    settings.VERIFY_MAX_BYTES = 128 * KiB
    response = APIClient().post("/api/v1/verify", {"file": image_file("ok.png")}, format="multipart")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["query"]["mime"] == "image/png"
