"""A real chain: one anvil process per run (`anvil`), and the platform configured for it with a
key and a registry of the test's own (`platform_chain`). For the rights tests and the pages,
browser and health tests that need a chain.

anvil comes from node_modules (`npm ci`, which make runs); without it these tests are skipped
locally and fail on CI.

The platform's modules are imported when a fixture runs, not when the plugin loads: every test
run loads this plugin, and a test that uses no chain must not depend on the chain code importing.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.servers import free_port

if TYPE_CHECKING:
    from tests.rights.helpers import DevChain


@pytest.fixture(scope="session")
def anvil() -> Iterator["DevChain"]:
    from rights.chain.anvil import Anvil, anvil_binary, dev_keys
    from tests.rights.helpers import DevChain, require_node_tool

    require_node_tool(anvil_binary)
    node = Anvil.start(port=free_port())
    try:
        yield DevChain(node.url, dev_keys())
    finally:
        node.stop()  # SIGINT


@pytest.fixture
def platform_chain(settings: Any, tmp_path: Path, anvil: "DevChain") -> Iterator[Any]:
    """The platform configured for the test chain, its key funded and a registry of its own
    deployed (chain_setup); yields the settings."""
    from rights import keys
    from rights.chain.client import chain_setup
    from tests.rights.helpers import point_at_chain

    point_at_chain(settings, tmp_path, anvil.url)
    chain_setup()
    yield settings
    keys._platform_key.cache_clear()
