"""The platform's key and the chain it is configured for: an encrypted development keystore,
derived per-person addresses, and the registry deployed once (again if the chain was reset)."""

import json
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from eth_account import Account

from accounts.models import User
from rights import keys
from rights.chain.anvil import Anvil
from rights.chain.client import chain_setup, registry, web3
from rights.chain.contract import NAIVE, deploy
from rights.models import Custody
from tests.projects.factories import UserFactory
from tests.rights.helpers import point_at_chain
from tests.servers import free_port


@pytest.fixture
def chain_settings(settings, tmp_path, anvil):
    point_at_chain(settings, tmp_path, anvil.url)
    yield settings
    keys._platform_key.cache_clear()


def test_a_development_key_is_made_encrypted_and_private_then_reused(chain_settings):
    account = keys.platform_account()
    keystore = chain_settings.CHAIN_KEYSTORE
    stored = json.loads(keystore.read_text())
    assert stored["crypto"]["kdf"] == "scrypt" and account.key.hex()[2:] not in keystore.read_text()
    assert stored["crypto"]["kdfparams"]["n"] == chain_settings.CHAIN_KEYSTORE_SCRYPT_N
    for path in (keystore, keystore.parent / "keystore.password"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys._platform_key.cache_clear()
    assert keys.platform_account().address == account.address


def test_a_configured_key_wins_and_a_locked_keystore_needs_its_password(chain_settings, tmp_path):
    key = Account.create().key.to_0x_hex()
    chain_settings.CHAIN_PRIVATE_KEY = key
    assert keys.platform_account().key.to_0x_hex() == key
    keys._platform_key.cache_clear()
    chain_settings.CHAIN_PRIVATE_KEY = ""
    elsewhere = tmp_path / "ops" / "signer.json"
    address = keys.keystore_create(elsewhere, password="correct horse")
    chain_settings.CHAIN_KEYSTORE = elsewhere
    with pytest.raises(ImproperlyConfigured, match="CHAIN_KEYSTORE_PASSWORD"):
        keys.platform_account()
    chain_settings.CHAIN_KEYSTORE_PASSWORD = "correct horse"
    assert keys.platform_account().address == address


@pytest.mark.django_db
def test_each_person_has_their_own_address_derived_from_the_platform_key(chain_settings):
    ada: User = UserFactory()
    ben: User = UserFactory()
    first, second = keys.user_address(ada.pk), keys.user_address(ben.pk)
    assert first != second and first == keys.user_address(ada.pk)
    assert Custody.objects.get(user=ada).address == first  # public, so the chain reads back as people
    assert keys.platform_account().address not in (first, second)


def test_setup_funds_the_key_and_deploys_the_registry_once(chain_settings):
    first = chain_setup()
    assert first["deployed"] and first["funded"]
    assert web3().eth.get_balance(first["signer"]) >= 10**20
    assert registry().functions.TOTAL_SHARES().call() == 10_000
    again = chain_setup()
    assert (again["deployed"], again["funded"], again["registry"]) == (False, False, first["registry"])


def test_a_reset_chain_gets_a_new_registry(chain_settings):
    chain_setup()
    fresh = Anvil.start(port=free_port())  # an empty chain: what the recorded address pointed at is gone
    try:
        chain_settings.CHAIN_RPC_URL = fresh.url
        assert chain_setup()["deployed"]
    finally:
        fresh.stop()


def test_a_registry_of_another_version_is_replaced(chain_settings):
    """The committed artifact changed since the last deployment: the embedded chain gets the new one."""
    first = chain_setup()
    other = deploy(web3(), keys.platform_account(), NAIVE)  # stands for an older registry
    deployment = chain_settings.CHAIN_DIR / "registry.json"
    deployment.write_text(json.dumps({**json.loads(deployment.read_text()), "address": other.address}))
    again = chain_setup()
    assert again["deployed"] and again["registry"] not in (first["registry"], other.address)
    assert registry().functions.TOTAL_SHARES().call() == 10_000


def test_a_configured_address_without_a_contract_is_refused(chain_settings):
    chain_settings.REGISTRY_ADDRESS = "0x000000000000000000000000000000000000dEaD"
    with pytest.raises(ImproperlyConfigured, match="holds no contract"):
        chain_setup()


def test_setup_deploys_licensing_bound_to_the_registry_and_funds_demo_accounts(chain_settings):
    from rights.chain.client import accounts_fund, licensing, stablecoin

    first = chain_setup()
    assert first["licensing_deployed"]
    assert licensing().functions.registry().call() == first["registry"]
    assert licensing().functions.feeBps().call() == chain_settings.LICENSING_FEE_BPS
    assert not chain_setup()["licensing_deployed"]
    buyer = "0x00000000000000000000000000000000000b0b0B"
    assert accounts_fund([buyer]) == [web3().to_checksum_address(buyer)]
    assert stablecoin().functions.balanceOf(web3().to_checksum_address(buyer)).call() == \
        chain_settings.DEMO_FUNDS_STABLECOIN
    assert accounts_fund([buyer]) == []  # funded already


def test_a_new_registry_gets_a_new_licensing_contract(chain_settings):
    first = chain_setup()
    other = deploy(web3(), keys.platform_account(), NAIVE)
    deployment = chain_settings.CHAIN_DIR / "registry.json"
    deployment.write_text(json.dumps({**json.loads(deployment.read_text()), "address": other.address}))
    again = chain_setup()
    assert again["licensing_deployed"] and again["licensing"] != first["licensing"]
