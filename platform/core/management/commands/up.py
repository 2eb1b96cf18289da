"""`python manage.py up`: migrate, create the demo, run and supervise the whole platform.

Two topologies:
- single (the default, `make up`): one web process and the workers, on the embedded defaults or
  whatever DATABASE_URL and REDIS_URL say;
- cluster (`make cluster`): the deployed shape on one machine. HAProxy on the port, in front of
  two web processes (any serves any storyboard: rooms share updates through Redis); a worker
  for the `gpu` queue and one for `default`, `chain` and `webhooks`; beat once; on PostgreSQL
  and Redis (never the embedded ones: several processes share them).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.demo import demo_ensure, demo_fund
from core.demo_gallery import demo_gallery_resume
from core.supervisor import Child, Supervisor
from core.valkey import valkey_command, valkey_wait
from kernel.metrics import process_dead
from kernel.paths import BASE_DIR, VAR_DIR
from kernel.redis_urls import socket_path
from rights.chain.anvil import anvil_command, anvil_wait

CELERY_QUEUES = "default,gpu,chain"
# Webhook deliveries have a worker of their own: a slow receiver never holds up a render or a
# transaction.
WEBHOOK_QUEUES = "webhooks"
CLUSTER_WEB = 2  # web processes behind the balancer, on the ports after its own
WEB_DB_POOL = 16  # PostgreSQL connections per web process at most (its max_connections is 100)


def haproxy_config(*, host: str, port: int, servers: list[int]) -> str:
    """The cluster's balancer (as deploy/haproxy.cfg, with the web processes on local ports):
    least connections, no stickiness, /readyz checks, websockets held open, a request id."""
    backends = "\n".join(f"    server web-{n} 127.0.0.1:{server} check inter 1s fall 2 rise 1"
                          for n, server in enumerate(servers, 1))
    return f"""global
    # (maxconn: HAProxy's own, from the open-files limit)

defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout client-fin 5s

frontend storyloom
    bind {host}:{port}
    unique-id-format %{{+X}}o%ci-%cp-%Ts-%rt-%pid
    http-request set-header X-Request-ID %[unique-id] unless {{ req.hdr(x-request-id) -m found }}
    default_backend web

backend web
    balance leastconn
    option httpchk GET /readyz
    http-check expect status 200
    option redispatch
    retry-on conn-failure empty-response
    # which web process answered (for the cluster test and operators)
    http-response set-header X-Served-By %s
{backends}
"""


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_http(url: str, timeout: float = 30.0) -> Callable[[subprocess.Popen], None]:
    def ready(process: subprocess.Popen) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"exited with code {process.returncode} while starting")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{url} did not answer within {timeout} s")

    return ready


def _cluster_check() -> None:
    """The cluster's processes share PostgreSQL, Redis and a balancer: refuse to start without."""
    if shutil.which("haproxy") is None:
        raise CommandError("HAProxy is missing: `make cluster` installs Debian's haproxy package.")
    if settings.EMBEDDED_REDIS or settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise CommandError("The cluster runs on PostgreSQL and Redis: set DATABASE_URL and REDIS_URL "
                           "(`make cluster` uses this machine's own on 127.0.0.1).")
    _database_ensure()


def _database_ensure() -> None:
    """Create the cluster's PostgreSQL database on first use (migrate fills it)."""
    import psycopg
    from django.db import OperationalError, connection
    from psycopg import sql

    try:
        connection.ensure_connection()
        return
    except OperationalError:
        pass  # (missing, or the server is down: then creating it says so)
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                         password=db["PASSWORD"] or None, dbname="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))


class Command(BaseCommand):
    help = "Run the whole platform (web + websockets, Celery worker and beat, embedded Valkey and anvil)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--topology", choices=("single", "cluster"), default="single",
                            help="single: one web process (the default); cluster: HAProxy in front of two, "
                                 "a GPU worker and a worker, on PostgreSQL and Redis")

    def handle(self, *args: Any, host: str, port: int, topology: str, **options: Any) -> None:
        cluster = topology == "cluster"
        ports = [port, *(port + n for n in range(1, CLUSTER_WEB + 1))] if cluster else [port]
        for taken in ports:
            if not _port_free(host, taken):
                raise CommandError(f"Port {taken} on {host} is in use: stop what runs there or pass "
                                   f"--port.")
        if cluster:
            _cluster_check()
        # Every process writes its metrics here; /metrics adds them up (kernel.metrics).
        metrics_dir = VAR_DIR / "metrics" / str(port)
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        supervisor = Supervisor(out=sys.stdout, on_exit=lambda pid: process_dead(pid, str(metrics_dir)))
        stop_requested = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stop_requested
            stop_requested = True
            supervisor.stopping.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        python = sys.executable
        env = {"DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
               "PYTHONPATH": f"{BASE_DIR / 'platform'}:{BASE_DIR}",
               "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        (VAR_DIR / "logs").mkdir(parents=True, exist_ok=True)
        try:
            if settings.EMBEDDED_REDIS:
                sock = Path(socket_path(settings.REDIS_URL))
                sock.unlink(missing_ok=True)
                supervisor.start(Child("valkey", valkey_command(sock),
                                       ready=lambda p: valkey_wait(sock, process=p)))
            if settings.EMBEDDED_CHAIN:  # its state is saved to var/chain/ when it stops (SIGINT)
                state = Path(settings.CHAIN_DIR) / "anvil-state.json"
                state.parent.mkdir(parents=True, exist_ok=True)
                mining = ["--block-time", str(settings.ANVIL_BLOCK_TIME)] if settings.ANVIL_BLOCK_TIME else []
                anvil = anvil_command(port=settings.ANVIL_PORT,
                                      args=["--state", str(state), "--silent", *mining])
                supervisor.start(Child("anvil", anvil, stop_signal=signal.SIGINT,
                                       ready=lambda p: anvil_wait(settings.CHAIN_RPC_URL, process=p)))
            self.stdout.write("Migrating the database…")
            call_command("migrate", interactive=False, verbosity=0)
            creds, created = demo_ensure(credentials_path=VAR_DIR / "demo-credentials.json")
            call_command("chain_setup")
            if creds:
                demo_fund()  # the demo team can buy licences
            if creds and demo_gallery_resume():  # rendered by the worker once it is up
                self.stdout.write("Seeding the demo gallery in the background…")
            celery = [python, "-m", "celery", "-A", "core"]
            workers = ([("worker-gpu", "gpu", 1), ("worker", f"default,chain,{WEBHOOK_QUEUES}", 2)]
                       if cluster else [("worker", CELERY_QUEUES, 2), ("webhooks", WEBHOOK_QUEUES, 2)])
            for name, queues, concurrency in workers:
                supervisor.start(Child(name, [*celery, "worker", "-Q", queues, "--concurrency",
                                              str(concurrency), "--loglevel", "INFO",
                                              "-n", f"{name}-{port}@%h"], env=env))
            supervisor.start(Child("beat", [*celery, "beat", "--loglevel", "INFO",
                                            "-s", str(VAR_DIR / "celerybeat-schedule")], env=env))
            # websockets-sansio: cheaper per message than the legacy implementation; with 200
            # storyboard clients in one room, relay p99 82 ms against 144 ms (collab_relay.py).
            # --no-proxy-headers: which address a request comes from is TRUSTED_PROXIES' rule
            # alone (uvicorn would otherwise take X-Forwarded-For from any local connection).
            # A pool of PostgreSQL connections per web process (settings.database: Django runs each
            # request in a thread of its own under ASGI); workers keep one connection each.
            web_env = {**env, "DB_POOL_MAX_SIZE": os.environ.get("DB_POOL_MAX_SIZE", str(WEB_DB_POOL))}
            if cluster:
                web_env["TRUSTED_PROXIES"] = "1"  # (HAProxy's X-Forwarded-For)
            for n, web_port in enumerate(ports[1:] if cluster else ports, 1):
                supervisor.start(Child(
                    f"web-{n}" if cluster else "web",
                    [python, "-m", "uvicorn", "core.asgi:application",
                     "--host", "127.0.0.1" if cluster else host, "--port", str(web_port),
                     "--ws", "websockets-sansio", "--lifespan", "off", "--no-server-header",
                     "--no-proxy-headers", "--ws-max-size", str(settings.WS_MAX_FRAME_BYTES)],
                    env=web_env, ready=_wait_http(f"http://127.0.0.1:{web_port}/livez")))
            if cluster:
                config = VAR_DIR / f"haproxy-{port}.cfg"
                config.write_text(haproxy_config(host=host, port=port, servers=ports[1:]))
                supervisor.start(Child("lb", [str(shutil.which("haproxy")), "-db", "-f", str(config)],
                                       ready=_wait_http(f"http://{host}:{port}/readyz")))
            self._banner(host, port, creds, created)
            if not stop_requested:
                supervisor.watch()
        finally:
            self.stdout.write("Stopping…")
            supervisor.stop()
            self.stdout.write("Stopped.")

    def _banner(self, host: str, port: int, creds: dict[str, str], created: bool) -> None:
        lines = [
            "",
            f"Storyloom is running on http://{host}:{port}/  (API docs: /api/docs/, "
            f"health: /readyz)",
        ]
        if creds:
            lines.append("Demo users" + (" (created now)" if created else "") + ":")
            lines += [f"    {name:<6} password {password}" for name, password in creds.items()]
        python = os.path.relpath(sys.executable)
        lines += [f"Admin account:  {python} manage.py createsuperuser",
                  "Press Ctrl-C to stop.", ""]
        self.stdout.write("\n".join(lines))
