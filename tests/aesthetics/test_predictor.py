"""The learned aesthetic score (aesthetics/predictor.py): a CLIP image embedding into LAION's MLP
head, read from a directory of local files. Here a tiny random-weight CLIP and a head shaped like
the official one (layers 0, 2, 4, 6, 7), built in a temporary folder: the numbers mean nothing,
the plumbing is real."""

import logging
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from aesthetics import extensions, predictor
from aesthetics.models import Report
from aesthetics.selectors import report_view
from aesthetics.services import report_make
from tests.aesthetics.test_measures import solid, textured

pytestmark = pytest.mark.django_db
EMBEDDING = 16  # the tiny CLIP's image embedding (ViT-L/14's is 768)


def _build(path: Path) -> Path:
    import torch
    from safetensors.torch import save_file
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(7)
    config = CLIPConfig(
        text_config={"vocab_size": 99, "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "max_position_embeddings": 77},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                       "num_attention_heads": 4, "image_size": 32, "patch_size": 8},
        projection_dim=EMBEDDING)
    CLIPModel(config).save_pretrained(path / "clip")
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        path / "clip")
    widths = {0: (EMBEDDING, 32), 2: (32, 8), 4: (8, 4), 6: (4, 2), 7: (2, 1)}  # the official indices
    head = {}
    for index, (inputs, outputs) in widths.items():
        layer = torch.nn.Linear(inputs, outputs)
        head[f"layers.{index}.weight"], head[f"layers.{index}.bias"] = layer.weight.data, layer.bias.data
    save_file(head, str(path / "head.safetensors"))
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("aesthetic-predictor"))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """No network: the hub's offline switch, and any Python network connection fails (and is
    recorded). This machine's own Unix sockets (the test cache's Valkey) stay open."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    attempts: list[object] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(self: socket.socket, address: object) -> None:
        if self.family == socket.AF_UNIX:
            return connect(self, address)
        attempts.append(address)
        raise OSError("the network is off in this test")

    def refuse_ex(self: socket.socket, address: object) -> int:
        if self.family == socket.AF_UNIX:
            return connect_ex(self, address)
        refuse(self, address)
        return 1

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse_ex)
    yield attempts


@pytest.fixture
def installed(built: Path, settings, offline: list[object]) -> Path:
    settings.AESTHETIC_PREDICTOR_DIR = built
    return built


def picture(seed: int) -> np.ndarray:
    return textured((96, 64), seed=seed)


def test_the_score_joins_the_report_is_deterministic_and_differs_between_pictures(installed, offline):
    first = report_make(sha256="a" * 64, frames=picture(1)[None], fps=None)
    again = report_make(sha256="b" * 64, frames=picture(1)[None], fps=None)
    other = report_make(sha256="c" * 64, frames=picture(2)[None], fps=None)
    score = first.measures["aesthetic_score"]
    assert isinstance(score, float)
    assert again.measures["aesthetic_score"] == score
    assert other.measures["aesthetic_score"] != score
    assert "colourfulness" in first.measures  # the rest of the report as ever
    assert offline == []  # nothing tried to reach the network


def test_the_score_is_shown_with_its_meaning_and_ranked_among_the_works_that_have_one(installed, monkeypatch):
    scored = [report_make(sha256=f"{n:064x}", frames=picture(n)[None], fps=None) for n in (1, 2)]
    unscored = Report.objects.create(sha256="d" * 64, kind="image", measures={"colourfulness": 1.0})
    monkeypatch.setattr(extensions, "_gallery", [lambda: [r.sha256 for r in (*scored, unscored)]])
    _low, high = sorted(scored, key=lambda r: r.measures["aesthetic_score"])
    shown = next(m for m in report_view(report=high)["measures"] if m["key"] == "aesthetic_score")
    assert shown["name"] == "Predicted rating" and "1 to 10" in shown["explains"]
    assert "LAION" in shown["unit"] and shown["low"] and shown["high"]
    assert shown["value"] == high.measures["aesthetic_score"]
    # One of the two published works with a score rates lower; the one measured without a
    # predictor is not counted.
    assert (shown["standing"], shown["compared"]) == (50.0, "Rated higher than 50 % of published works")


def test_a_clip_gets_the_mean_over_frames_picked_evenly(installed):
    frames = np.stack([picture(seed) for seed in range(9)])
    report = report_make(sha256="e" * 64, frames=frames, fps=8.0)
    picked = [0, 3, 5, 8]  # predictor.FRAMES of nine, evenly
    assert len(picked) == predictor.FRAMES
    loaded = predictor.predictor_get()
    assert loaded is not None
    expected = np.mean([loaded.score([frames[i]]) for i in picked])
    assert report.kind == "video" and "motion" in report.measures
    assert report.measures["aesthetic_score"] == pytest.approx(expected, abs=1e-3)


def test_without_a_predictor_the_report_has_no_score(settings, tmp_path, offline):
    settings.AESTHETIC_PREDICTOR_DIR = tmp_path / "absent"
    report = report_make(sha256="a" * 64, frames=picture(1)[None], fps=None)
    assert "aesthetic_score" not in report.measures and "colourfulness" in report.measures
    assert all(m["key"] != "aesthetic_score" for m in report_view(report=report)["measures"])


def test_a_corrupt_head_is_logged_once_and_the_report_is_made_without_the_score(
        built, settings, tmp_path, offline, caplog):
    broken = tmp_path / "broken"
    shutil.copytree(built, broken)
    (broken / "head.safetensors").write_bytes(b"\x00not a safetensors file")
    settings.AESTHETIC_PREDICTOR_DIR = broken
    with caplog.at_level(logging.ERROR, logger="aesthetics.predictor"):
        reports = [report_make(sha256=f"{n:064x}", frames=solid((200, 90, 40))[None], fps=None)
                   for n in range(3)]
    assert all("aesthetic_score" not in r.measures and "warmth" in r.measures for r in reports)
    assert len([r for r in caplog.records if "could not be loaded" in r.getMessage()]) == 1
    assert offline == []


def test_a_head_too_narrow_for_the_clip_is_refused(built, settings, tmp_path, offline, caplog):
    import torch
    from safetensors.torch import save_file

    wrong = tmp_path / "wrong"
    shutil.copytree(built, wrong)
    save_file({"layers.0.weight": torch.zeros(1, EMBEDDING + 1), "layers.0.bias": torch.zeros(1)},
              str(wrong / "head.safetensors"))
    settings.AESTHETIC_PREDICTOR_DIR = wrong
    with caplog.at_level(logging.ERROR, logger="aesthetics.predictor"):
        assert predictor.predictor_get() is None
    assert "takes 17 values" in caplog.text


def test_a_head_that_is_not_a_chain_of_linear_layers_is_refused(tmp_path):
    import torch
    from safetensors.torch import save_file

    save_file({"layers.0.weight": torch.zeros(4, 8), "layers.0.bias": torch.zeros(4),
               "layers.2.weight": torch.zeros(1, 5), "layers.2.bias": torch.zeros(1)}, str(tmp_path / "h"))
    with pytest.raises(ValueError, match="takes 5 values"):
        predictor.head_load(tmp_path / "h")
    save_file({"fc.weight": torch.zeros(1, 4)}, str(tmp_path / "h"))
    with pytest.raises(ValueError, match="unexpected tensor"):
        predictor.head_load(tmp_path / "h")


def test_staff_see_on_the_models_page_whether_the_predictor_is_installed_and_its_size(
        built, settings, tmp_path, client):
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    settings.AESTHETIC_PREDICTOR_DIR = tmp_path / "absent"
    page = client.get("/staff/models/").content.decode()
    section = page[page.index('id="aesthetic-predictor"'):]
    assert "Not installed" in section[:section.index("</section>")]
    settings.AESTHETIC_PREDICTOR_DIR = built
    page = client.get("/staff/models/").content.decode()
    section = page[page.index('id="aesthetic-predictor"'):]
    section = section[:section.index("</section>")]
    assert "Installed" in section and "Not installed" not in section and str(built) in section
    assert predictor.size_on_disk(built) > 0 and "KB" in section  # (the tiny one: some kilobytes)
