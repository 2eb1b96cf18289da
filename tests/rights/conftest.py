"""The rights tests: a fresh registry per test on the run's anvil (the `anvil` and
`platform_chain` fixtures are tests/plugins/chain.py's; helpers such as `settle` are in
tests/rights/helpers.py), and a work registered on it."""

import hashlib
import time

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis.configuration import set_hypothesis_home_dir
from web3 import Web3
from web3.contract import Contract

from accounts.models import User
from rights.chain.contract import REGISTRY, deploy
from rights.keys import user_address
from rights.models import Owner, Work, WorkStatus
from rights.services import registration_submit
from tests.projects.factories import UserFactory
from tests.rights.helpers import TEMPLATE, DevChain, settle
from tests.servers import ROOT

# Hypothesis keeps its example database and caches out of the work tree (var/ is ignored by git).
set_hypothesis_home_dir(ROOT / "var" / "hypothesis")


@pytest.fixture(scope="session")
def w3(anvil: DevChain) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="session")
def accounts(anvil: DevChain) -> list[LocalAccount]:
    """Local signers (eth-account): the node holds no unlocked account we use."""
    return [Account.from_key(key) for key in anvil.keys]


@pytest.fixture
def registry(w3: Web3, accounts: list[LocalAccount]) -> Contract:
    """StoryloomRegistry freshly deployed by accounts[9] (a deployer with no role in the contract)."""
    return deploy(w3, accounts[9], REGISTRY, TEMPLATE)


@pytest.fixture(scope="session")
def shared_registry(w3: Web3, accounts: list[LocalAccount]) -> Contract:
    """One deployment for all of a hypothesis test's examples (each registers fresh hashes, if any)."""
    return deploy(w3, accounts[9], REGISTRY, TEMPLATE)


@pytest.fixture
def registered(platform_chain) -> tuple[Work, User, User]:
    """A work of Ada's, registered on the chain; Ben, who owns nothing yet."""
    ada: User = UserFactory()
    ben: User = UserFactory()
    digest = hashlib.sha256(f"lighthouse {time.monotonic_ns()}".encode()).hexdigest()
    work = Work.objects.create(title="Lighthouse", created_by=ada, mime="video/mp4", size=10, sha256=digest,
                               iscc="ISCC:KMAQOL3YEOFZ4SC3WN6QL6GIQOARGWZCSVZU36FHWQ", terms_sha256="0" * 64)
    Owner.objects.create(work=work, user=ada, address=user_address(ada.pk), bps=10_000)
    registration_submit(work=work)
    settle()
    work.refresh_from_db()
    assert work.status == WorkStatus.REGISTERED
    return work, ada, ben
