import importlib
import sysconfig
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]


def test_platform_is_the_standard_library_module():
    import platform

    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().parent == stdlib
    assert callable(platform.python_version)
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_every_app_is_installed():
    for label in ["core", "accounts", "projects", "collab", "generation", "rights", "recommend", "reviews"]:
        assert apps.is_installed(label), label
        importlib.import_module(label)


def test_top_level_layout():
    for name in ["manage.py", "pyproject.toml", "Makefile", "README.md", "platform", "generation",
                 "rights", "recommend", "templates", "static", "tests", "benchmarks", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_every_model_has_an_admin():
    from django.contrib import admin

    ours = ["accounts", "projects", "collab", "generation", "rights", "recommend", "reviews"]
    models = [m for label in ours for m in apps.get_app_config(label).get_models()]
    assert models, "no models found"
    missing = [m._meta.label for m in models if not admin.site.is_registered(m)]
    assert missing == []
