"""Webhook deliveries that a hostile receiver cannot hold, flood or steer: one total deadline per
delivery, a bounded read of the answer, no redirects, http(s) only, and a queue of their own.

The receivers are real TCP servers on 127.0.0.1 (the test settings allow private addresses)
that answer byte by byte as each attack needs."""

import datetime
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from rest_framework.test import APIClient

from core.celery import app
from generation.models import Webhook
from generation.tasks import webhook_deliver
from generation.webhooks import DeliveryFailed, deliver
from tests.projects.factories import project_with_team
from tests.servers import CeleryWorker
from tests.waiting import assert_nothing_within

pytestmark = pytest.mark.django_db

BODY = json.dumps({"id": "evt_1", "type": "job.succeeded", "created": 0, "data": {}})
TRICKLE_EVERY_S = 0.5
TRICKLE_BYTES = 120  # a minute at one byte per half second: "forever" next to a 1 s deadline


class Receiver:
    """A TCP endpoint that reads one HTTP request per connection and answers with `respond`,
    recording the requests, the bytes it managed to send, and whether the client hung up on it
    before its answer was complete."""

    def __init__(self, respond: Callable[["Receiver", socket.socket], None],
                 tls: ssl.SSLContext | None = None, bind: str = "127.0.0.1") -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.sent = 0
        self.hung_up = threading.Event()
        self.completed = threading.Event()
        self.stopped = threading.Event()
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.listener = socket.create_server((bind, 0), family=family)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(connection, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests.append(head + b"\r\n\r\n" + body)
            self.respond(self, connection)
            self.completed.set()
        except OSError:
            self.hung_up.set()
        finally:
            connection.close()

    def send(self, connection: socket.socket, data: bytes) -> None:
        if self.stopped.is_set():
            raise ConnectionAbortedError("the test is over")
        connection.sendall(data)
        self.sent += len(data)

    def trickle(self, connection: socket.socket, count: int = TRICKLE_BYTES) -> None:
        for _ in range(count):
            self.send(connection, b"a")
            time.sleep(TRICKLE_EVERY_S)  # the fake's attack: a slow sender (not a wait of the test's)

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(respond: Callable[[Receiver, socket.socket], None], **options: object) -> Receiver:
        started.append(Receiver(respond, **options))
        return started[-1]

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def short_deadline(settings) -> float:
    settings.WEBHOOK_DEADLINE_S = 1.0
    return 1.0


def webhook_to(url: str) -> Webhook:
    return Webhook.objects.create(user=project_with_team().editor, url=url)


def answer(status: str, *headers: str) -> Callable[[Receiver, socket.socket], None]:
    def respond(receiver: Receiver, connection: socket.socket) -> None:
        lines = [f"HTTP/1.1 {status}", *headers, "Content-Length: 0", "", ""]
        receiver.send(connection, "\r\n".join(lines).encode())
    return respond


def test_a_receiver_trickling_its_status_line_is_cut_off_at_the_deadline(receivers, short_deadline):
    """One byte every half second resets a per-read timeout for ever; the delivery must end,
    failed (so retried with backoff), when its total deadline passes."""
    def respond(receiver: Receiver, connection: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: ":
            receiver.send(connection, bytes([byte]))
            time.sleep(TRICKLE_EVERY_S)  # the fake's attack: a slow sender
        receiver.trickle(connection)
        receiver.send(connection, b"\r\nContent-Length: 0\r\n\r\n")

    receiver = receivers(respond)
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed, match="no complete answer within"):
        deliver(webhook_id=webhook.pk, body=BODY)
    assert receiver.hung_up.wait(10), "the receiver was still being listened to"
    assert not receiver.completed.is_set()


def test_a_failing_receiver_trickling_its_body_is_cut_off_at_the_deadline(receivers, short_deadline):
    def respond(receiver: Receiver, connection: socket.socket) -> None:
        receiver.send(connection, b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 100000\r\n\r\n")
        receiver.trickle(connection)

    receiver = receivers(respond)
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed):
        deliver(webhook_id=webhook.pk, body=BODY)
    assert receiver.hung_up.wait(10) and not receiver.completed.is_set()


def test_a_receiver_sending_gigabytes_is_read_only_up_to_the_cap(receivers, settings):
    """A 4 GiB answer: the delivery reads a bounded excerpt and hangs up (what is sent before the
    hang-up is what the kernel's buffers took, a few megabytes at most)."""
    def respond(receiver: Receiver, connection: socket.socket) -> None:
        receiver.send(connection, b"HTTP/1.1 500 Oops\r\nContent-Length: 4294967296\r\n\r\n")
        chunk = b"x" * 65536
        for _ in range(65536):
            receiver.send(connection, chunk)

    receiver = receivers(respond)
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed, match="answered 500") as failed:
        deliver(webhook_id=webhook.pk, body=BODY)
    assert "x" * settings.WEBHOOK_RESPONSE_MAX_BYTES in str(failed.value)  # an excerpt, for the log
    assert "x" * (settings.WEBHOOK_RESPONSE_MAX_BYTES + 1) not in str(failed.value)
    assert receiver.hung_up.wait(30) and receiver.sent < 64 * 1024 * 1024


def test_a_receiver_sending_endless_headers_is_a_failed_delivery(receivers):
    """A header that never ends, sent as fast as the socket takes it: refused after a bounded
    read, as a failed (retried) delivery, not an error of another kind that would lose it."""
    def respond(receiver: Receiver, connection: socket.socket) -> None:
        receiver.send(connection, b"HTTP/1.1 200 OK\r\nX-Big: ")
        chunk = b"a" * 65536
        for _ in range(16384):  # 1 GiB
            receiver.send(connection, chunk)

    receiver = receivers(respond)
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed):
        deliver(webhook_id=webhook.pk, body=BODY)
    assert receiver.hung_up.wait(30) and receiver.sent < 64 * 1024 * 1024


@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "303 See Other",
                                    "307 Temporary Redirect", "308 Permanent Redirect"])
def test_a_redirect_is_a_failed_delivery_and_never_followed(receivers, status):
    target = receivers(answer("200 OK"))
    receiver = receivers(answer(status, f"Location: {target.url()}"))
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed, match=f"answered {status.split()[0]}"):
        deliver(webhook_id=webhook.pk, body=BODY)
    assert len(receiver.requests) == 1 and target.requests == []


class Listener:
    """A bare TCP port that counts who connects to it (a stand-in for an internal FTP server)."""

    def __init__(self) -> None:
        self.connections = 0
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.sendall(b"220 ready\r\n")
            connection.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.socket.close()


def test_a_redirect_to_another_scheme_leads_nowhere(receivers, listener):
    receiver = receivers(answer("302 Found", f"Location: ftp://127.0.0.1:{listener.port}/pub/secrets"))
    webhook = webhook_to(receiver.url())
    with pytest.raises(DeliveryFailed, match="answered 302"):
        deliver(webhook_id=webhook.pk, body=BODY)
    # deliver() has returned: a client that followed the redirect would be connecting by now.
    assert_nothing_within(0.5, lambda: listener.connections, message="the redirect was followed")
    assert listener.connections == 0


@pytest.mark.parametrize("scheme", ["ftp", "file", "gopher"])
def test_a_stored_url_of_another_scheme_is_dropped_at_delivery_not_retried(listener, scheme):
    """Rows made before the checks, or by hand: delivery accepts http and https only."""
    webhook = webhook_to(f"{scheme}://127.0.0.1:{listener.port}/etc/passwd")
    assert deliver(webhook_id=webhook.pk, body=BODY) is None
    assert_nothing_within(0.5, lambda: listener.connections, message="the stored URL was connected to")
    assert listener.connections == 0


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "file:///etc/passwd", "gopher://example.org/",
                                 "javascript:alert(1)", "data:text/plain,hi", "http:///no-host",
                                 "//example.org/hook", "example.org/hook"])
def test_only_http_and_https_webhooks_can_be_made(url):
    api = APIClient()
    api.force_login(project_with_team().editor)
    response = api.post("/api/v1/webhooks", {"url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "url" in response.json()["error"]["fields"]
    assert not Webhook.objects.exists()


def test_a_name_that_resolves_to_the_platforms_network_is_refused_at_delivery(receivers, settings):
    """A webhook made while its name pointed outside now resolves to loopback: the address is
    checked at every delivery, and the connection goes to the address that was checked."""
    receiver = receivers(answer("200 OK"))
    webhook = webhook_to(receiver.url(host="localhost"))
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert deliver(webhook_id=webhook.pk, body=BODY) is None
    assert receiver.requests == []


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for `localhost` (the receiver's), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_to_the_checked_address_still_verifies_the_receivers_name(receivers, tmp_path, monkeypatch):
    """The connection goes to the checked IP address, while TLS is verified (and SNI sent) for
    the name in the URL: the receiver's certificate for `localhost` is accepted under that name,
    and refused under another name that leads to the same address."""
    cert_path, key_path = _certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # trust the test's own authority
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_path, key_path)
    receiver = receivers(answer("200 OK"), tls=tls)
    assert deliver(webhook_id=webhook_to(receiver.url(host="localhost", scheme="https")).pk, body=BODY) == 200
    assert b"host: localhost:%d" % receiver.port in receiver.requests[0].lower()
    with pytest.raises(DeliveryFailed, match="certificate"):
        deliver(webhook_id=webhook_to(receiver.url(host="127.0.0.1", scheme="https")).pk, body=BODY)
    assert len(receiver.requests) == 1


def test_deliveries_have_a_queue_of_their_own():
    """Never the `gpu` or `chain` workers' queue, nor `default`: a slow receiver cannot hold a
    worker that renders or signs."""
    assert app.amqp.router.route({}, webhook_deliver.name)["queue"].name == "webhooks"


@pytest.mark.django_db(transaction=True)
def test_a_worker_of_the_webhooks_queue_delivers(receivers, tmp_path):
    receiver = receivers(answer("200 OK"))
    webhook = webhook_to(receiver.url())
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="webhooks")
    try:
        webhook_deliver.delay(webhook_id=webhook.pk, body=BODY)
        assert receiver.completed.wait(60), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        worker.stop()
    assert json.loads(receiver.requests[0].partition(b"\r\n\r\n")[2])["id"] == "evt_1"


def test_the_deadline_fits_within_the_tasks_time_limits(settings):
    soft, hard = webhook_deliver.soft_time_limit, webhook_deliver.time_limit
    assert soft is not None and hard is not None
    assert settings.WEBHOOK_DEADLINE_S < soft < hard


def test_an_ipv6_receiver_is_delivered_to(receivers):
    """(The address the delivery connects to keeps its brackets in the URL.)"""
    receiver = receivers(answer("204 No Content"), bind="::1")
    assert deliver(webhook_id=webhook_to(receiver.url(host="[::1]")).pk, body=BODY) == 204
    assert b"host: [::1]:%d" % receiver.port in receiver.requests[0].lower()
