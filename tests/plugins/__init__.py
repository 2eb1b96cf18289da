"""Fixtures shared across test packages, registered once as pytest plugins by the root conftest
(`pytest_plugins`). Fixtures that one package alone uses stay in that package's conftest; plain
helpers are ordinary modules (tests/rights/helpers.py, tests/e2e/helpers.py, tests/core/helpers.py)."""
