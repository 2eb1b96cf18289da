"""The committed browser bundles are what the pinned sources build: `make up` serves them without
Node, so a stale bundle would ship code nobody reviewed. One bundle per page family
(build.mjs: static/js/src/<entry>/main.js -> static/js/<entry>.bundle.js)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "static" / "js"
ENTRIES = ("base", "account", "project", "studio", "rights", "gallery", "storyboard")
NPM_TIMEOUT = 240


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is not installed (Node 20+): the browser bundles cannot be rebuilt"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI has Node: its absence there is a failure
        pytest.skip(message)
    return npm


def _installed_matches_lock() -> bool:
    """node_modules holds exactly the versions package-lock.json pins (npm's hidden lockfile)."""
    hidden = ROOT / "node_modules" / ".package-lock.json"
    if not hidden.exists():
        return False
    pinned = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    installed = json.loads(hidden.read_text())["packages"]
    return all(installed.get(path, {}).get("version") == entry.get("version")
               for path, entry in pinned.items() if path and not entry.get("optional"))


def _run(*args: str) -> None:
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    assert result.returncode == 0, f"{' '.join(args[1:])} failed:\n{result.stdout}\n{result.stderr}"


def test_every_entry_has_its_sources_and_a_bundle() -> None:
    entries = {path.parent.name for path in (JS / "src").glob("*/main.js")}
    assert entries == set(ENTRIES), "static/js/src/<entry>/main.js and the entries here disagree"
    bundles = {path.name.removesuffix(".bundle.js") for path in JS.glob("*.bundle.js")}
    assert bundles == set(ENTRIES), "a bundle is missing, or one is left over: run `npm run build`"


def test_committed_bundles_match_a_fresh_build(tmp_path: Path) -> None:
    npm = _npm()
    if not _installed_matches_lock():
        _run(npm, "ci", "--no-audit", "--no-fund")
    _run(npm, "run", "--silent", "build", "--", str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{name}.bundle.js" for name in ENTRIES)
    stale = [name for name in ENTRIES
             if not (JS / f"{name}.bundle.js").exists()
             or (tmp_path / f"{name}.bundle.js").read_bytes() != (JS / f"{name}.bundle.js").read_bytes()]
    assert not stale, (f"{', '.join(stale)}: static/js/<entry>.bundle.js differs from a fresh build of "
                       "static/js/src: run `npm ci && npm run build` and commit the bundles")


@pytest.mark.parametrize("name", ENTRIES)
def test_bundle_has_no_machine_specific_text(name: str) -> None:
    text = (JS / f"{name}.bundle.js").read_text(encoding="utf-8")
    assert str(ROOT) not in text
    assert "sourceMappingURL" not in text
    assert text.startswith("(()=>{"), "each bundle is a self-contained classic script (an IIFE)"
