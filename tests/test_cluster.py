"""`manage.py up --topology cluster`: the deployed shape on this machine. Through HAProxy, two
editors on different web processes co-edit one storyboard; registrations asked through both
web processes go out with consecutive nonces; the feed answers from both; a web process and a
worker killed mid-flow lose no acknowledged edit or registration, and the survivors carry on.

It runs on this machine's PostgreSQL and Redis (a database and a Redis database of its own) and
needs HAProxy (`make test` installs Debian's package where it can)."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from pycrdt import Doc

from collab.schema import doc_json, scenes_of, title_of
from tests.collab.yclient import settle, yclient
from tests.rights.helpers import png
from tests.servers import free_port, free_ports, manage_shell
from tests.test_up import _processes_with, stop_up
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 13  # the cluster's own (flushed before and after)
HEALTH_TOKEN = "cluster-test-" + "c" * 32
pytestmark = pytest.mark.slow


def _reachable() -> str | None:
    """Why the cluster cannot run here, or None."""
    if shutil.which("haproxy") is None:
        return "haproxy is not installed (make test installs it as root)"
    try:
        psycopg.connect(f"{POSTGRES}/postgres", connect_timeout=3).close()
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=3).ping()
    except Exception as exc:  # (whatever stops it: the reason is reported)
        return f"PostgreSQL and Redis on 127.0.0.1 are needed: {exc}"
    return None


@dataclass
class Cluster:
    port: int
    env: dict[str, str]
    log: Path
    marker: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, token: str | None = None) -> tuple[int, Message, bytes]:
        """Status, headers (names in any case: HAProxy sends them lower-cased) and body."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except OSError:  # (not listening yet, or the connection dropped)
            return 0, Message(), b""

    def post(self, path: str, body: dict, token: str, *, web: int | None = None,
             **headers: str) -> tuple[int, dict, Message]:
        """Status, JSON body and headers; through the balancer, or straight to web process `web`."""
        base = self.url if web is None else f"http://127.0.0.1:{self.port + web}"
        request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}"), error.headers

    def manage(self, code: str) -> str:
        """Run Python in a Django shell against the cluster's database; its printed output."""
        return manage_shell(self.env, code, timeout=120)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        """Rows of a query on the cluster's database (quicker than a Django shell)."""
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as db:
            return db.execute(query, params).fetchall()

    def pids(self, name: str) -> list[int]:
        """Pids of the cluster's processes whose command line holds `name`."""
        found = []
        for pid in _processes_with(self.marker):
            try:
                line = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if name in line:
                found.append(pid)
        return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    reason = _reachable()
    if reason:
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("cluster")
    database = f"storyloom_cluster_{os.getpid()}"
    var = tmp / "var"
    marker = f"STORYLOOM_VAR_DIR={var}"
    port = free_ports(3)  # the balancer's, then the two web processes'
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(STORYLOOM_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="core.settings.local",
               DATABASE_URL=f"{POSTGRES}/{database}", REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
               ANVIL_PORT=str(free_port()),
               # Blocks every 2 s, as on a real network: a registration stays sent and unmined
               # long enough to kill the chain worker then, however fast the machine.
               ANVIL_BLOCK_TIME="2", HEALTH_TOKEN=HEALTH_TOKEN, CHAIN_CONFIRMATIONS="1",
               # A killed worker's job goes back in the queue within seconds.
               GENERATION_STALE_AFTER_S="10", GENERATION_RECOVER_EVERY_S="5",
               PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}")
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    log = tmp / "cluster.log"
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "manage.py", "up", "--topology", "cluster", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        found = Cluster(port, env, log, marker)
        try:
            wait_until(lambda: found.get("/healthz", HEALTH_TOKEN)[0] == 200 or up.poll() is not None,
                       timeout=180, interval=0.5, message=lambda: log.read_text()[-3000:])
            assert up.poll() is None, log.read_text()[-3000:]
            yield found
        finally:
            stop_up(up, marker, timeout=30)
            redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def people(cluster: Cluster) -> dict:
    """The demo's owner and editor with API tokens, and the demo project."""
    made = cluster.manage(
        "import json; from accounts.models import User; from accounts.services import token_create; "
        "from projects.models import Project; from core.demo import DEMO_PROJECT; "
        "tokens = {n: token_create(user=User.objects.get(username=n), name='cluster test', "
        "scopes=['read', 'write', 'generate', 'rights'])[1] for n in ('ada', 'ben')}; "
        "print(json.dumps({'tokens': tokens, 'project': Project.objects.get(name=DEMO_PROJECT).pk}))")
    return json.loads(made.splitlines()[-1])


def test_the_balancer_spreads_requests_over_both_web_processes(cluster: Cluster):
    served = {cluster.get("/readyz")[1].get("X-Served-By") for _ in range(12)}
    assert served == {"web-1", "web-2"}
    status, headers, body = cluster.get("/healthz", HEALTH_TOKEN)
    report = json.loads(body)
    assert status == 200 and report["status"] == "up", report
    workers = report["checks"]["workers"]["workers"]
    assert any(name.startswith("worker-gpu-") for name in workers), workers
    assert any(name.startswith("worker-") and not name.startswith("worker-gpu-") for name in workers), workers
    assert len(headers.get("X-Request-ID", "")) >= 8  # HAProxy's, answered by the web process


def test_the_feed_answers_from_both_processes(cluster: Cluster):
    answers = [cluster.get("/api/v1/gallery/feed?size=5") for _ in range(6)]
    assert {status for status, _, _ in answers} == {200}
    assert {headers.get("X-Served-By") for _, headers, _ in answers} == {"web-1", "web-2"}


def test_two_editors_on_different_web_processes_co_edit_and_survive_one_going_down(cluster, people):
    tokens, project = people["tokens"], people["project"]

    served: list[str | None] = []

    async def scenario() -> dict:
        async with (yclient(cluster.url, project, tokens["ada"], served_by=served) as ada,
                    yclient(cluster.url, project, tokens["ben"], served_by=served) as ben):
            assert sorted(map(str, served)) == ["web-1", "web-2"], served  # one editor on each web process
            with ada.transaction():
                title_of(ada).insert(0, "Cluster: ")
            with ben.transaction():
                prompt = scenes_of(ben)[0]["prompt"]
                prompt.insert(len(prompt), " (ben was here)")
            await settle(ada, ben)
            return doc_json(ada)

    edited = asyncio.run(scenario())
    assert edited["title"].startswith("Cluster: ")
    assert edited["scenes"][0]["prompt"].endswith("(ben was here)")

    # One web process dies; the balancer sends everyone to the other, which has every edit.
    victim = cluster.pids("--port " + str(cluster.port + 1))
    assert victim, "web-1 not found"
    for pid in victim:
        os.kill(pid, signal.SIGKILL)

    async def after() -> dict:
        async with yclient(cluster.url, project, tokens["ben"], doc=Doc()) as ben:
            return doc_json(ben)

    again = wait_until(lambda: _try(lambda: asyncio.run(after())), timeout=30, interval=0.5,
                       message="the storyboard could not be opened after a web process died")
    assert again["title"] == edited["title"] and again["scenes"][0]["prompt"] == edited["scenes"][0]["prompt"]
    # The supervisor brings it back; then both serve again.
    wait_until(lambda: {cluster.get("/readyz")[1].get("X-Served-By") for _ in range(8)} == {"web-1", "web-2"},
               timeout=60, interval=1, message="web-1 did not come back")


def _try(call):
    try:
        return call()
    except Exception:  # (not yet: wait_until tries again)
        return None


def test_renders_from_two_people_take_turns_on_the_gpu_worker(cluster, people):
    tokens, project = people["tokens"], people["project"]
    url = f"/api/v1/projects/{project}/jobs"

    def submit(who: str, n: int) -> str:
        job = {"kind": "video", "preset": "storyloom-tiny", "seconds": 2, "fps": 8,
               "prompt": f"a red ball moves to the left, take {n}"}
        status, body, _ = cluster.post(url, job, tokens[who])
        assert status == 201, body
        return body["id"]

    ada = [submit("ada", n) for n in range(3)]  # Ada queues three at once, then Ben one
    ben = [submit("ben", 0)]

    def finished() -> list[dict] | None:
        jobs = [json.loads(cluster.get(f"{url}/{job}", tokens["ada"])[2]) for job in ada + ben]
        return jobs if all(job["status"] in ("succeeded", "failed") for job in jobs) else None

    jobs = wait_until(finished, timeout=180, interval=1, message="the renders did not finish")
    assert {job["status"] for job in jobs} == {"succeeded"}, [job["error"] for job in jobs]
    order = [job["requester_name"] or job["id"] for job in sorted(jobs, key=lambda job: job["started_at"])]
    started = {job["id"]: job["started_at"] for job in jobs}
    # Ben's starts before Ada's last two: turns, not first come first served.
    assert started[ben[0]] < sorted(started[job] for job in ada)[1], order


def test_registrations_asked_of_both_web_processes_go_out_with_consecutive_nonces(cluster, people):
    ada = {"Authorization": f"Bearer {people['tokens']['ada']}"}
    works = []
    with httpx.Client(base_url=cluster.url, headers=ada, timeout=30) as client:
        for n in range(6):
            upload = client.post("/api/v1/works", data={"title": f"Cluster work {n}", "licence": "cc-by-4.0"},
                                 files={"file": (f"{n}.png", png(1000 + n).getvalue(), "image/png")})
            assert upload.status_code == 201, upload.text
            status, body, _ = cluster.post(f"/api/v1/works/{upload.json()['id']}/submit", {},
                                           people["tokens"]["ada"], web=1 + n % 2,
                                           **{"X-Request-ID": f"cluster-registration-{n}"})
            assert status == 200, body
            works.append(upload.json()["id"])

        def registered() -> bool:
            return all(client.get(f"/api/v1/works/{work}").json()["status"] == "registered" for work in works)

        wait_until(registered, timeout=120, interval=1, message="the registrations were not confirmed")
    # The platform's key signed them all (and the demo gallery's registrations): no nonce twice,
    # none skipped, whichever web process asked.
    sent = json.loads(cluster.manage(
        "import json; from rights.models import ChainTx; from rights.keys import platform_account; "
        "txs = ChainTx.objects.filter(signer=platform_account().address, nonce__isnull=False); "
        "print(json.dumps({'nonces': sorted(txs.values_list('nonce', flat=True)), "
        "'ours': txs.filter(work__title__startswith='Cluster work').count()}))").splitlines()[-1])
    nonces = sent["nonces"]
    assert sent["ours"] == 6 and nonces == list(range(nonces[0], nonces[0] + len(nonces))), sent
    # One registration followed by its request id, from the web process to the chain worker.
    lines = [line for line in cluster.log.read_text().splitlines()
             if "request_id=cluster-registration-3" in line]
    assert any(line.startswith("web-") for line in lines), lines
    assert any(line.startswith("worker ") and "confirmed register:" in line for line in lines), lines


def test_killing_both_workers_mid_flow_loses_no_render_or_registration(cluster, people):
    """SIGKILL (the worker and its pool, as when a machine dies) the GPU worker while it renders
    and the chain worker while registrations go out. The supervisor starts them again; the job
    runs again from the queue, the outbox carries on from what it stored: every acknowledged
    job succeeds, every registration is confirmed once, with no nonce twice or skipped."""
    tokens, project = people["tokens"], people["project"]
    jobs_url = f"/api/v1/projects/{project}/jobs"
    video = {"kind": "video", "preset": "storyloom-tiny", "seconds": 2, "fps": 8, "steps": 60}

    def submit(prompt: str) -> str:
        status, body, _ = cluster.post(jobs_url, {**video, "prompt": prompt}, tokens["ben"])
        assert status == 201, body
        return body["id"]

    def job(job_id: str) -> dict:
        return json.loads(cluster.get(f"{jobs_url}/{job_id}", tokens["ben"])[2])

    first = submit("a green star grows on a sunset gradient")
    wait_until(lambda: job(first)["step"] > 0, timeout=120, interval=0.2, message=lambda: job(first))
    killed = _kill(cluster, f"worker-gpu-{cluster.port}@")
    second = submit("a blue square moves up over the sea")  # acknowledged while no GPU worker runs

    # Registrations go out; the chain worker dies as soon as one is sent and not yet confirmed.
    ada = {"Authorization": f"Bearer {tokens['ada']}"}
    works = []
    with httpx.Client(base_url=cluster.url, headers=ada, timeout=30) as client:
        for n in range(4):
            upload = client.post("/api/v1/works",
                                 data={"title": f"Killed worker {n}", "licence": "cc-by-4.0"},
                                 files={"file": (f"k{n}.png", png(2000 + n).getvalue(), "image/png")})
            assert upload.status_code == 201, upload.text
            works.append(upload.json()["id"])
        for work in works:  # (uploaded first: then they go out together)
            assert client.post(f"/api/v1/works/{work}/submit", json={}).status_code == 200
        wait_until(lambda: cluster.sql("SELECT count(*) FROM rights_chaintx t JOIN rights_work w ON "
                                       "t.work_id = w.id WHERE w.title LIKE 'Killed worker %%' "
                                       "AND t.status = 'submitted'")[0][0] > 0,
                   timeout=60, interval=0.05, message=lambda: cluster.sql(
                       "SELECT w.title, w.status, t.status, t.nonce FROM rights_work w LEFT JOIN "
                       "rights_chaintx t ON t.work_id = w.id WHERE w.title LIKE 'Killed worker %%'"))
        killed += _kill(cluster, f"worker-{cluster.port}@")
        wait_until(lambda: not any(map(_alive, killed)), timeout=10, message="a killed worker lives on")

        def registered() -> bool:
            return all(client.get(f"/api/v1/works/{work}").json()["status"] == "registered" for work in works)

        wait_until(registered, timeout=180, interval=1, message="the registrations were not confirmed")

    done = wait_until(lambda: all(job(j)["status"] in ("succeeded", "failed") for j in (first, second)),
                      timeout=240, interval=1, message=lambda: [job(first), job(second)])
    assert done and [job(first)["status"], job(second)["status"]] == ["succeeded", "succeeded"]
    attempts = cluster.sql("SELECT attempts FROM generation_job WHERE public_id = %s", [first])[0][0]
    assert attempts == 2  # it ran again

    rows = cluster.sql("SELECT t.nonce, t.status FROM rights_chaintx t "
                       "JOIN rights_work w ON t.work_id = w.id WHERE w.title LIKE 'Killed worker %%'")
    assert sorted(status for _, status in rows) == ["confirmed"] * 4, rows  # one transaction each
    sent = cluster.sql("SELECT nonce FROM rights_chaintx WHERE nonce IS NOT NULL")
    nonces = sorted(nonce for (nonce,) in sent)
    assert nonces == list(range(nonces[0], nonces[0] + len(nonces))), nonces
    # The survivors carry on: both workers are back (the detailed health check sees them).
    report = json.loads(cluster.get("/healthz", HEALTH_TOKEN)[2])
    assert len(report["checks"]["workers"]["workers"]) == 2, report


def _kill(cluster: Cluster, name: str) -> list[int]:
    """SIGKILL a worker's main process and its pool's children at once; their pids."""
    pids = cluster.pids(name)
    assert pids, f"{name} not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        return "\nState:\tZ" not in (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
