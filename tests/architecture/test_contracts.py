"""The architecture's own checks: the public-API contract type catches what it must, and the tasks
services queue by name exist (a renamed task would otherwise fail only at run time)."""

import re
from pathlib import Path

import grimp
import pytest

from tests.architecture.public_api import violations

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "projects", "generation", "rights"}


def graph_of(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        for module in (importer, imported):
            graph.add_module(module)
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    return graph


@pytest.mark.parametrize(("importer", "imported"), [
    ("rights.services.works", "generation.selectors"),
    ("rights.services.works", "generation.services"),
    ("rights.apps", "generation.extensions"),
    ("rights.web.pages", "projects.roles"),  # named in also_public
    ("rights.services.works", "rights.models"),  # inside its own app
    ("core.urls", "rights.web.files"),  # the wiring is not an app
    ("rights.services.works", "kernel.errors"),  # nor is the kernel
    ("projects.views", "rights.selectors.extra"),  # what is inside a public module is public
])
def test_public_imports_pass(importer: str, imported: str) -> None:
    graph = graph_of((importer, imported))
    assert violations(graph, APPS, {"services", "selectors", "extensions"}, {"projects.roles"}) == []


@pytest.mark.parametrize(("importer", "imported"), [
    ("rights.services.works", "generation.models"),
    ("rights.web.pages", "accounts.forms"),
    ("rights.verify.lookup", "generation.provenance"),
])
def test_private_imports_are_caught(importer: str, imported: str) -> None:
    graph = graph_of((importer, imported))
    found = violations(graph, APPS, {"services", "selectors", "extensions"}, {"projects.roles"})
    assert [(v.importer, v.imported) for v in found] == [(importer, imported)]


def test_tasks_queued_by_name_exist() -> None:
    from celery import current_app

    current_app.loader.import_default_modules()
    queued = set()
    for path in ROOT.glob("**/*.py"):
        if any(part in {".venv", "node_modules", "var", "tests"} for part in path.relative_to(ROOT).parts):
            continue
        queued |= set(re.findall(r"enqueue(?:_on_commit)?\(\s*\"([a-z_.]+)\"", path.read_text()))
    assert queued, "no task is queued by name: the pattern above is out of date"
    missing = queued - set(current_app.tasks)
    assert not missing, f"queued by name but registered by no app: {sorted(missing)}"


def test_the_ranking_needs_no_database() -> None:
    """recommend.ranking is arrays in, a ranked list out: importing it loads no Django at all."""
    import subprocess
    import sys

    code = ("import sys; import recommend.ranking; "
            "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
            "assert not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                   env={"PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}"})
