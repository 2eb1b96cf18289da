"""The committed browser bundle is what the pinned sources build: `make up` serves it without Node,
so a stale bundle would ship code nobody reviewed."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "static" / "js" / "storyboard.bundle.js"
NPM_TIMEOUT = 240


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is not installed (Node 20+): the storyboard bundle cannot be rebuilt"
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


def test_committed_bundle_matches_a_fresh_build(tmp_path: Path) -> None:
    npm = _npm()
    if not _installed_matches_lock():
        _run(npm, "ci", "--no-audit", "--no-fund")
    fresh = tmp_path / "storyboard.bundle.js"
    _run(npm, "run", "--silent", "build", "--", str(fresh))
    assert BUNDLE.exists(), "static/js/storyboard.bundle.js is missing: run `npm run build`"
    assert fresh.read_bytes() == BUNDLE.read_bytes(), (
        "static/js/storyboard.bundle.js differs from a fresh build of static/js/src: "
        "run `npm ci && npm run build` and commit the bundle")


def test_bundle_has_no_machine_specific_text() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    assert str(ROOT) not in text
    assert "sourceMappingURL" not in text
