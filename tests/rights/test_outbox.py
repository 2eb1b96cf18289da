"""The outbox against a real anvil: many registrations from one key at once, an RPC endpoint that
goes away in the middle of sending and comes back, asking twice."""

import hashlib
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from accounts.models import User
from rights import keys
from rights.chain.anvil import Anvil, rpc
from rights.chain.client import chain_setup, registry, web3
from rights.chain.outbox import signer_run
from rights.keys import platform_account, user_address
from rights.models import ChainTx, Owner, TxStatus, Work, WorkStatus
from rights.services import registration_submit
from tests.core.helpers import client_for
from tests.projects.factories import UserFactory
from tests.rights.helpers import point_at_chain, settle
from tests.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)


class RpcProxy:
    """The node's JSON-RPC endpoint as the platform reaches it, which a test can cut off (every
    request refused) after a number of requests, and bring back on the same port."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.port, self.requests = upstream, free_port(), 0
        self.cut_after: int | None = None
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.requests += 1
                if proxy.cut_after is not None and proxy.requests > proxy.cut_after:
                    threading.Thread(target=proxy.stop, daemon=True).start()
                    self.connection.close()  # the node went away mid-conversation
                    return
                request = urllib.request.Request(proxy.upstream, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as answer:
                    data = answer.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            server.shutdown()
            server.server_close()


@pytest.fixture
def proxy(anvil) -> Iterator[RpcProxy]:
    node = RpcProxy(anvil.url)
    node.start()
    yield node
    node.stop()


@pytest.fixture
def chain(settings, tmp_path, proxy):
    point_at_chain(settings, tmp_path, proxy.url)
    chain_setup()
    yield settings
    keys._platform_key.cache_clear()


def make_works(count: int) -> list[Work]:
    author: User = UserFactory()
    works = []
    for n in range(count):
        digest = hashlib.sha256(f"work {n} {time.monotonic_ns()}".encode()).hexdigest()
        work = Work.objects.create(title=f"Work {n}", created_by=author, mime="image/png", size=1000,
                                   sha256=digest, iscc=f"ISCC:KEC{n:04d}TESTCODE", terms_sha256="0" * 64)
        Owner.objects.create(work=work, user=author, address=user_address(author.pk), bps=10_000)
        works.append(work)
    return works



def test_64_registrations_at_once_from_one_key_all_confirm_with_consecutive_nonces(chain):
    works = make_works(64)
    signer = platform_account().address
    start = web3().eth.get_transaction_count(signer)
    errors: list[BaseException] = []

    def submit(work: Work) -> None:
        try:
            registration_submit(work=work)
            signer_run(signer)  # the requests race to send, too: one signer at a time wins
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    settle()
    txs = ChainTx.objects.filter(function="register")
    nonces = sorted(nonce or 0 for nonce in txs.values_list("nonce", flat=True))
    assert nonces == list(range(start, start + 64))
    assert set(txs.values_list("status", flat=True)) == {TxStatus.CONFIRMED}
    assert Work.objects.filter(status=WorkStatus.REGISTERED).count() == 64
    assert web3().eth.get_transaction_count(signer) == start + 64  # no transaction more
    contract = registry()
    assert all(contract.functions.stateOf(bytes.fromhex(w.sha256)).call() != b"\0" * 32 for w in works)


def test_the_node_going_away_while_sending_loses_nothing_and_sends_nothing_twice(chain, proxy):
    works = make_works(12)
    for work in works:
        registration_submit(work=work)
    signer = platform_account().address
    start = web3().eth.get_transaction_count(signer)
    proxy.cut_after = proxy.requests + 25  # part-way through signing and broadcasting
    assert signer_run(signer) > 0  # the pass ends early; nothing is lost
    assert proxy.server is None
    assert signer_run(signer) == 12  # still down: everything waits
    proxy.cut_after = None
    proxy.start()
    settle()
    assert Work.objects.filter(status=WorkStatus.REGISTERED).count() == 12
    assert web3().eth.get_transaction_count(signer) == start + 12
    assert not ChainTx.objects.exclude(status=TxStatus.CONFIRMED).exists()


def test_asking_twice_queues_one_registration(chain):
    work = make_works(1)[0]
    first, second = registration_submit(work=work), registration_submit(work=work)
    assert first.pk == second.pk and ChainTx.objects.count() == 1


def test_a_transaction_left_unmined_is_replaced_with_a_higher_fee_and_mined_once(settings, tmp_path):
    node = Anvil.start(port=free_port())
    try:
        point_at_chain(settings, tmp_path, node.url)
        chain_setup()
        deployed = web3().eth.get_transaction_count(platform_account().address)  # the contracts
        settings.CHAIN_STUCK_AFTER_S = 0
        rpc(node.url, "evm_setAutomine", [False])  # blocks stop coming: the transaction waits
        work = make_works(1)[0]
        tx = registration_submit(work=work)
        signer = platform_account().address
        signer_run(signer)  # signed and sent
        tx.refresh_from_db()
        first_hash, first_fee = tx.tx_hash, int(tx.max_fee or 0)
        signer_run(signer)  # still unmined after CHAIN_STUCK_AFTER_S: replaced
        tx.refresh_from_db()
        assert tx.replacements == 1 and tx.tx_hash != first_hash
        assert int(tx.max_fee or 0) >= first_fee * 1.125
        assert tx.hashes == [first_hash, tx.tx_hash]
        rpc(node.url, "evm_mine")
        settings.CHAIN_STUCK_AFTER_S = 3600
        settle()
        tx.refresh_from_db()
        assert tx.status == TxStatus.CONFIRMED and tx.tx_hash == tx.hashes[-1]  # the replacement won
        assert web3().eth.get_transaction_count(signer) == deployed + 1  # one registration
    finally:
        node.stop()
        keys._platform_key.cache_clear()


def test_one_registration_is_followed_by_its_request_id_from_the_request_to_the_chain(chain, json_lines):
    work = make_works(1)[0]
    response = client_for(work.created_by).post(f"/api/v1/works/{work.public_id}/submit", {}, format="json",
                                                HTTP_X_REQUEST_ID="reg-5d1e0c7a")
    assert response.status_code == 200, response.json()
    assert ChainTx.objects.get(work=work).request_id == "reg-5d1e0c7a"
    registration_submit(work=make_works(1)[0])  # another, asked for outside any request
    settle()
    lines = [(r["event"].split(" ")[0], r.get("request_id")) for r in json_lines.records()
             if r["logger"] == "rights.chain.outbox"]
    assert ("sending", "reg-5d1e0c7a") in lines and ("confirmed", "reg-5d1e0c7a") in lines
    assert ("sending", None) in lines  # the other's lines carry no id of the first
