"""Parsing that cannot crash the process: deep JSON bodies and frames, oversized bodies and
decompression bombs get the API's error shape (400), never a segfault, a 500 or an HTML page."""

import io
import json
import os
import struct
import subprocess
import sys
import zlib

import pytest
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from core.asgi import application
from tests.accounts.factories import UserFactory
from tests.projects.factories import project_with_team
from tests.servers import ROOT
from tests.ws import headers, run

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000  # 200 KB


def test_no_import_leaves_the_recursion_limit_raised() -> None:
    """py_ecc (through eth_account) raises it to 100,000 when imported: deep input then overflows
    the C stack instead of raising RecursionError. Loading every app must leave it as it was."""
    code = ("import sys, django; default = sys.getrecursionlimit(); django.setup(); "
            "from django.urls import get_resolver; get_resolver().url_patterns; import core.asgi; "
            "import rights.chain.reads, rights.chain.outbox; print(default, sys.getrecursionlimit())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings.test"}, cwd=ROOT)
    default, after = out.stdout.split()
    assert after == default, out.stderr


@pytest.mark.parametrize("path", ["/api/v1/auth/signup", "/api/v1/projects"])
def test_a_deeply_nested_json_body_is_refused_with_400(path: str) -> None:
    api = APIClient()
    api.force_login(UserFactory())
    response = api.generic("POST", path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    nested = json.dumps({"name": "x", "description": json.loads("[" * 40 + "1" + "]" * 40)})
    assert api.generic("POST", path, nested, content_type="application/json").status_code == 400


def test_a_body_over_the_limit_gets_the_error_shape(settings) -> None:
    settings.DEBUG = True  # as under `make up`: Django's debug page must not answer an API client
    api = APIClient()
    api.force_login(UserFactory())
    big = json.dumps({"name": "x", "description": "y" * (11 * 2**20)})
    response = api.generic("POST", "/api/v1/projects", big, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "too_large"


def _png_header(width: int, height: int, mode: int = 2) -> bytes:
    """A PNG that claims width x height; its one row of data is all there is."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(20_000, 20_000), (13_000, 13_000)])
def test_a_decompression_bomb_is_refused_by_works_and_verify(width: int, height: int, settings,
                                                             tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    api = APIClient()
    api.force_login(UserFactory())
    bomb = io.BytesIO(_png_header(width, height))
    bomb.name = "bomb.png"
    response = api.post("/api/v1/works", {"file": bomb, "title": "Bomb", "licence": "cc-by-4.0"},
                        format="multipart")
    assert response.status_code == 400, response.content[:200]
    assert "megapixels" in json.dumps(response.json())
    bomb.seek(0)
    anonymous = APIClient().post("/api/v1/verify", {"file": bomb}, format="multipart")
    assert anonymous.status_code == 400, anonymous.content[:200]
    assert anonymous["Content-Type"].startswith("application/json")


@pytest.mark.django_db(transaction=True)  # the consumer reads the database from another thread
def test_the_events_socket_closes_on_deep_binary_or_broken_frames() -> None:
    team = project_with_team()
    signed_in = headers(team.owner)

    async def scenario() -> list[int | None]:
        codes = []
        for frame in ({"text_data": DEEP}, {"bytes_data": b"\x00\x01"}, {"text_data": "{not json"}):
            communicator = WebsocketCommunicator(application, f"/ws/projects/{team.project.pk}/events",
                                                 headers=signed_in)
            connected, _ = await communicator.connect()
            assert connected
            await communicator.send_to(**frame)
            output = await communicator.receive_output(timeout=5)
            codes.append(output.get("code"))
            await communicator.disconnect()
        return codes

    assert run(scenario()) == [1007, 1003, 1007]
