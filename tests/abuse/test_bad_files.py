"""The bad-file corpus (tests/abuse/bad_files.py, made by code) against every route that takes a
file: registering a work, verifying one (API and page) and an avatar (API and page).

Refused files get a 4xx with the reason (the API's error shape; a page shows its form with the
error), never a 5xx, and leave no row and no stored file behind. Polyglots and misnamed files are
taken as what their bytes are (the name and the appended part are ignored). Seen before:
decompression bombs answered 500 with Django's HTML page; a 165 KB PNG of 13,000 x 13,000 took
the web process to 3 GB; a truncated WebM or MP4 was fingerprinted from the part that was there;
ffmpeg decoded whatever frame size a video claimed, without limits."""

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from generation.media import mp4_write
from kernel.ffmpeg import FfmpegTimeout
from kernel.paths import BASE_DIR
from rights import keys
from rights.models import ProvenanceAttempt, Work
from tests.abuse.bad_files import BadFile, corpus, small_mp4
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

CORPUS = {item.key: item for item in corpus()}
# What a refusal must never show: a traceback, a path on the server, an exception or a command.
INTERNALS = re.compile("|".join([r"Traceback", re.escape(str(BASE_DIR)), re.escape(tempfile.gettempdir()),
                                 r"\.py\b", r"Error\b", r"ffmpeg", r"subprocess", r"Errno"]), re.IGNORECASE)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Iterator[Path]:
    keys._platform_key.cache_clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    yield settings.MEDIA_ROOT
    keys._platform_key.cache_clear()


def upload(item: BadFile) -> SimpleUploadedFile:
    return SimpleUploadedFile(item.name, item.data, content_type="application/octet-stream")


def stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def signed_in(client: Client | APIClient, user: User) -> Client | APIClient:
    client.force_login(user)
    return client


def assert_refused_by_the_api(response, item: BadFile) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    said = json.dumps(error, ensure_ascii=False)
    assert error["code"] and error["message"]
    assert item.reason.lower() in said.lower(), said
    assert not INTERNALS.search(said), said


def assert_refused_by_the_page(response, item: BadFile) -> None:
    assert response.status_code in (400, 413), (response.status_code, response.content[:300])
    text = response.content.decode()
    assert 'class="errorlist' in text or "field__error" in text or 'role="alert"' in text, text[:2000]
    assert item.reason.lower() in text.lower()
    assert "Traceback" not in text and str(BASE_DIR) not in text


@pytest.mark.parametrize("key", CORPUS)
def test_registering_a_work(key: str, media: Path) -> None:
    item = CORPUS[key]
    api = signed_in(APIClient(), UserFactory())
    response = api.post("/api/v1/works", {"file": upload(item), "title": "Mine", "licence": "cc-by-4.0"},
                        format="multipart")
    if item.sniffed is None:
        assert_refused_by_the_api(response, item)
        assert not Work.objects.exists() and not ProvenanceAttempt.objects.exists()
        assert stored(media) == []
        return
    assert response.status_code == 201, response.content[:300]
    work = Work.objects.get()
    assert work.mime == item.sniffed
    extension = {"image/png": "png", "video/mp4": "mp4"}[item.sniffed]
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{extension}", Path(work.file.name).name), work.file.name


@pytest.mark.parametrize("key", CORPUS)
def test_verifying_through_the_api(key: str, media: Path) -> None:
    item = CORPUS[key]
    response = APIClient().post("/api/v1/verify", {"file": upload(item)}, format="multipart")
    if item.sniffed is None:
        assert_refused_by_the_api(response, item)
    else:
        assert response.status_code == 200, response.content[:300]
        assert response.json()["query"]["mime"] == item.sniffed
    assert stored(media) == [] and not Work.objects.exists()


@pytest.mark.parametrize("key", CORPUS)
def test_verifying_on_the_page(key: str, media: Path) -> None:
    item = CORPUS[key]
    response = Client().post("/verify/", {"file": upload(item)})
    if item.sniffed is None:
        assert_refused_by_the_page(response, item)
    else:
        assert response.status_code == 200, response.content[:300]
        assert item.sniffed in response.content.decode()
    assert stored(media) == [] and not Work.objects.exists()


def avatar_accepted(item: BadFile) -> bool:
    return item.sniffed is not None and item.sniffed.startswith("image/")


@pytest.mark.parametrize("key", CORPUS)
def test_an_avatar_through_the_api(key: str, media: Path) -> None:
    item = CORPUS[key]
    user = UserFactory()
    response = signed_in(APIClient(), user).patch("/api/v1/profile", {"avatar": upload(item)},
                                                   format="multipart")
    user.refresh_from_db()
    if not avatar_accepted(item):
        assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("application/json")
        said = json.dumps(response.json()["error"])
        assert "avatar" in said and not INTERNALS.search(said), said
        assert not user.avatar and stored(media) == []
        return
    assert response.status_code == 200, response.content[:300]
    assert user.avatar.name.endswith(".png")


@pytest.mark.parametrize("key", CORPUS)
def test_an_avatar_on_the_profile_page(key: str, media: Path) -> None:
    item = CORPUS[key]
    user = UserFactory()
    page = signed_in(Client(), user)
    response = page.post("/accounts/profile/", {
        "email": user.email, "display_name": "", "bio": "", "preferred_language": "en",
        "avatar": upload(item)})
    user.refresh_from_db()
    if not avatar_accepted(item):
        assert response.status_code == 400, (response.status_code, response.content[:300])
        text = response.content.decode()
        assert 'class="errorlist' in text or "field__error" in text or 'role="alert"' in text
        assert "Traceback" not in text and str(BASE_DIR) not in text
        assert not user.avatar and stored(media) == []
        return
    assert response.status_code == 302
    assert user.avatar.name.endswith(".png")


# --- ffmpeg runs bounded, and a video's size is checked before it is decoded ---------------------


def verify_video(data: bytes) -> dict:
    response = APIClient().post("/api/v1/verify", {"file": SimpleUploadedFile("clip.mp4", data)},
                                format="multipart")
    assert response.status_code in (200, 400), response.content[:300]
    return response.json()


def refusal(answer: dict) -> str:
    return answer["error"]["message"] if "error" in answer else ""


def test_a_video_over_the_frame_size_or_duration_caps_is_refused_from_its_header(settings) -> None:
    assert refusal(verify_video(small_mp4())) == ""  # 96 x 64, 2 seconds
    settings.VIDEO_MAX_PIXELS = 96 * 64 - 1
    assert "megapixels" in refusal(verify_video(small_mp4()))
    settings.VIDEO_MAX_PIXELS = 96 * 64
    settings.VIDEO_MAX_SECONDS = 1
    assert "longer than 1 seconds" in refusal(verify_video(small_mp4()))


@pytest.mark.parametrize("limit, value, says", [
    ("FFMPEG_MEMORY_BYTES", 16 * 1024 * 1024, "read"),  # too little address space to decode anything
    ("FFMPEG_CPU_S", 0, "took too long"),
    ("FFMPEG_TIMEOUT_S", 0.001, "took too long"),
])
def test_ffmpeg_on_an_upload_runs_under_its_limits(settings, limit: str, value: float, says: str) -> None:
    setattr(settings, limit, value)
    answer = refusal(verify_video(small_mp4()))
    assert says in answer and not INTERNALS.search(answer), answer


def test_encoding_a_render_has_a_deadline(settings, tmp_path: Path) -> None:
    frames = np.zeros((48, 64, 96, 3), dtype=np.uint8)
    mp4_write(frames, tmp_path / "ok.mp4", fps=24)
    settings.MEDIA_ENCODE_TIMEOUT_S = 0.001
    with pytest.raises(FfmpegTimeout):
        mp4_write(frames, tmp_path / "late.mp4", fps=24)
