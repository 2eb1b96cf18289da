"""Production topology under load: the cluster (`manage.py up --topology cluster`: HAProxy, two
web processes, a GPU worker and a worker, on PostgreSQL and Redis) against the single-process
`make up` (embedded SQLite and Valkey) as the baseline, measured in the same run.

Workload (Locust, one process; every simulated person has an account and an API token):
- viewers (12 of 16): feed pages (the first, then the next by its cursor), the gallery and a work
  page as HTML, the impressions and views of what they saw as signals, now and then a like;
  1 to 3 s between actions;
- editors (3 of 16): a storyboard socket each (real y-websocket framing, pycrdt), four editors
  to a room, each typing into the room's title every 1.5 to 2.5 s. Every insert is a marker
  `\\x02<sender>.<seq>\\x03` (Yjs carries inserted text verbatim in its updates), so a receiver
  finds it in the raw bytes and reads the send time the sender recorded (same process, same
  clock): update latency = receipt on each other editor of the room minus send; lost = expected
  receipts not seen 5 s after sending;
- creators (1 of 16): submit a Storyloom Tiny render in their room's project, follow it until
  it ends, then 20 to 40 s before the next.

The load steps up (STEP users more every STEP_S seconds, stats counted after a short settle)
until the feed's p95 passes 200 ms or errors pass 1 % of requests, or MAX_USERS is reached;
"users held" is the last step within both. Locust, the servers and the render worker share
this machine's cores: the machine's CPU use is reported per step.

    .venv/bin/python benchmarks/cluster_load.py            # both targets, writes results/
    .venv/bin/python benchmarks/cluster_load.py --quick    # short steps, writes nothing
"""

# Locust patches the standard library for gevent when it is imported: before anything else.
from locust import FastHttpUser, User, between, constant, events, task  # isort: skip
from locust.env import Environment  # isort: skip

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import psycopg
import redis
import websocket
from pycrdt import Doc, Text, create_sync_message, create_update_message, handle_sync_message

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.servers import free_port, free_ports, manage_shell  # noqa: E402  (the tests' own helpers)
from tests.waiting import wait_until  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 12  # the cluster's own (flushed before and after)
FEED_P95_MS = 200.0
ERROR_SHARE = 0.01
PER_ROOM = 4
MARKER = re.compile(rb"\x02(\d+)\.(\d+)\x03")
LOST_AFTER_S = 5.0
FEED = "GET /api/v1/gallery/feed"
ENDED = ("succeeded", "failed", "cancelled")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
            return response.status == 200
    except OSError:  # (HTTPError included: not ready)
        return False


# Accounts for the simulated people (no password: they use their API tokens), and rooms of
# PER_ROOM editors each in projects of their own.
PEOPLE = """
import json
from accounts.models import User
from accounts.services import token_create
from projects.services import invitation_accept, invitation_create, project_create
people = []
for n in range({people}):
    user = User(username=f"load{{n:03d}}", email=f"load{{n:03d}}@example.org")
    user.set_unusable_password()
    user.save()
    people.append(token_create(user=user, name="load", scopes=["read", "write", "generate"])[1])
rooms = []
for r in range({rooms}):
    members = [User.objects.get(username=f"load{{r * {per_room} + k:03d}}") for k in range({per_room})]
    project = project_create(user=members[0], name=f"Load room {{r}}")
    for member in members[1:]:
        invitation = invitation_create(project=project, user=members[0], invitee=member.username)
        invitation_accept(invitation_id=invitation.id, user=member)
    rooms.append(project.pk)
print(json.dumps({{"tokens": people, "rooms": rooms}}))
"""


@contextmanager
def target(name: str, *, people: int, rooms: int) -> Iterator[tuple[str, dict]]:
    """Start `manage.py up` (single: embedded defaults, as `make up`; cluster: PostgreSQL and
    Redis databases of its own) on a fresh var directory, wait for the demo gallery, add the
    load's accounts; stop everything after."""
    tmp = Path(tempfile.mkdtemp(prefix=f"storyloom-load-{name}-"))
    cluster = name == "cluster"
    port = free_ports(3 if cluster else 1)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(STORYLOOM_VAR_DIR=str(tmp / "var"), DJANGO_SETTINGS_MODULE="core.settings.local",
               PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}", ANVIL_PORT=str(free_port()))
    database = f"storyloom_load_{os.getpid()}"
    if cluster:
        env.update(DATABASE_URL=f"{POSTGRES}/{database}", REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}")
        redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    log = Path(tempfile.gettempdir()) / f"storyloom-load-{name}.log"  # kept after the run
    command = [sys.executable, "manage.py", "up", "--port", str(port)]
    if cluster:
        command += ["--topology", "cluster"]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        def until(predicate: Any, timeout: float, what: str) -> None:
            wait_until(lambda: process.poll() is not None or predicate(), timeout=timeout, interval=1,
                       message=lambda: f"{name}: {what}\n{log.read_text()[-4000:]}")
            if process.poll() is not None:
                raise RuntimeError(f"{name}: up exited\n{log.read_text()[-4000:]}")

        def shell(code: str) -> str:
            return manage_shell(env, code).splitlines()[-1]

        until(lambda: _ready(url), 300, "did not start")
        made = json.loads(shell(PEOPLE.format(people=people, rooms=rooms, per_room=PER_ROOM)))

        def gallery_seeded() -> bool:  # every demo work published (rendered by the worker)
            return shell("from core.demo_gallery import DEMO_WORKS; "
                         "from recommend.models import Publication; "
                         "print(Publication.objects.count() >= len(DEMO_WORKS))") == "True"

        until(gallery_seeded, 600, "the demo gallery was not seeded")
        yield url, made
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if cluster:
            redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


# --- the simulated people ---------------------------------------------------------------------

@dataclass
class Sent:
    at: float  # perf_counter() when it was sent
    want: int  # other editors of the room online then
    got: int = 0


@dataclass
class Pool:
    """Who each simulated person is: tokens, rooms, and the editors' shared bookkeeping."""
    tokens: list[str] = field(default_factory=list)
    rooms: list[int] = field(default_factory=list)
    viewers: Iterator[int] = field(default_factory=lambda: iter(()))
    editors: Iterator[int] = field(default_factory=lambda: iter(()))
    creators: Iterator[int] = field(default_factory=lambda: iter(()))
    sent: dict[tuple[int, int], "Sent"] = field(default_factory=dict)  # by marker (sender, seq)
    online: dict[int, set[int]] = field(default_factory=dict)  # room: editors connected

    def reset(self, tokens: list[str], rooms: list[int]) -> None:
        editors = len(rooms) * PER_ROOM
        self.tokens, self.rooms = tokens, rooms
        self.viewers = itertools.cycle(range(editors, len(tokens)))
        self.editors = iter(range(editors))
        # Creators render in their room's project: the last member of each room, then the next.
        self.creators = itertools.cycle([r * PER_ROOM + k for k in reversed(range(PER_ROOM))
                                         for r in range(len(rooms))])
        self.sent, self.online = {}, {}

    def lost(self, before: float) -> tuple[int, int]:
        """(expected, lost) receipts of the markers sent before `before`; forgets them."""
        expected = lost = 0
        for marker in [m for m, sent in self.sent.items() if sent.at < before]:
            sent = self.sent.pop(marker)
            expected += sent.want
            lost += max(0, sent.want - sent.got)
        return expected, lost


POOL = Pool()


def _fire(name: str, kind: str, started: float, length: int = 0, error: Exception | None = None) -> None:
    events.request.fire(request_type=kind, name=name, response_time=(time.perf_counter() - started) * 1000,
                        response_length=length, exception=error, context={})


class Viewer(FastHttpUser):
    weight = 12
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {POOL.tokens[next(POOL.viewers)]}"}
        self.cursor: str | None = None
        self.seen: list[tuple[str, str, int]] = []  # (publication, feed, position)

    @task(4)
    def feed(self) -> None:
        path = "/api/v1/gallery/feed?size=20" + (f"&cursor={self.cursor}" if self.cursor else "")
        with self.client.get(path, headers=self.auth, name=FEED, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return
            page = response.json()
        self.cursor = page["next_cursor"]
        self.seen = [(item["publication"]["id"], page["feed"], item["position"]) for item in page["items"]]

    @task(2)
    def gallery(self) -> None:
        self.client.get("/gallery/", name="GET /gallery/ (HTML)")

    @task(2)
    def work(self) -> None:
        if self.seen:
            publication = random.choice(self.seen)[0]
            self.client.get(f"/gallery/works/{publication}/", name="GET /gallery/works/<id>/ (HTML)")

    @task(3)
    def signals(self) -> None:
        if not self.seen:
            return
        events_ = [{"publication": p, "kind": "impression", "feed": f, "position": n}
                   for p, f, n in self.seen[:8]]
        p, f, n = random.choice(self.seen)
        events_.append({"publication": p, "kind": "view", "feed": f, "position": n,
                        "dwell_ms": random.randint(500, 20000)})
        self.client.post("/api/v1/gallery/signals", json={"events": events_}, headers=self.auth,
                         name="POST /api/v1/gallery/signals")

    @task(1)
    def like(self) -> None:
        if self.seen:
            p, f, n = random.choice(self.seen)
            self.client.post(f"/api/v1/gallery/works/{p}/like", json={"feed": f, "position": n},
                             headers=self.auth, name="POST /api/v1/gallery/works/<id>/like")


class Creator(FastHttpUser):
    weight = 1
    wait_time = between(20, 40)

    def on_start(self) -> None:
        member = next(POOL.creators)
        self.auth = {"Authorization": f"Bearer {POOL.tokens[member]}"}
        self.jobs = f"/api/v1/projects/{POOL.rooms[member // PER_ROOM]}/jobs"

    @task
    def render(self) -> None:
        job = {"kind": "video", "preset": "storyloom-tiny", "seconds": 2, "fps": 8,
               "prompt": random.choice(["a red ball rolls to the left over a blue sea",
                                        "a yellow square moves to the right on a dark background",
                                        "a green star grows on a sunset gradient"])}
        with self.client.post(self.jobs, json=job, headers=self.auth, name="POST /api/v1/projects/<id>/jobs",
                              catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            job_id = response.json()["id"]
        for _ in range(300):  # followed as the page does (it has the socket too), until it ends
            gevent.sleep(2)
            response = self.client.get(f"{self.jobs}/{job_id}", headers=self.auth,
                                       name="GET /api/v1/projects/<id>/jobs/<id>")
            if response.status_code == 200 and response.json()["status"] in ENDED:
                return


class Editor(User):
    """A storyboard socket in its room, typing; it counts what it receives from the others."""
    weight = 3
    wait_time = constant(0)

    def on_start(self) -> None:
        self.ws: websocket.WebSocket | None = None
        self.me, self.room = -1, -1
        me = next(POOL.editors, None)
        if me is None:
            return  # (more editors than seats: it idles)
        self.me, self.room = me, me // PER_ROOM
        self.seq = 0
        self.doc: Doc = Doc()
        self.title = self.doc.get("title", type=Text)
        self.synced = gevent.event.Event()
        url = f"{str(self.host).replace('http', 'ws', 1)}/ws/projects/{POOL.rooms[self.room]}/storyboard"
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(
                url, header=[f"Authorization: Bearer {POOL.tokens[self.me]}"], origin=self.host, timeout=30)
            self.ws.send_binary(create_sync_message(self.doc))
            self.reader = gevent.spawn(self._read)
            if not self.synced.wait(30):
                raise TimeoutError("no sync step 2 within 30 s")
        except Exception as exc:
            _fire("storyboard connect and sync", "WS", started, error=exc)
            self._close()
            return
        _fire("storyboard connect and sync", "WS", started)
        POOL.online.setdefault(self.room, set()).add(self.me)

    def _read(self) -> None:
        assert self.ws is not None
        try:
            while True:
                message = self.ws.recv()
                now = time.perf_counter()
                if not isinstance(message, bytes) or len(message) < 2 or message[0] != 0:
                    continue  # awareness
                if message[1] == 0:
                    reply = handle_sync_message(message[1:], self.doc)
                    if reply is not None:
                        self.ws.send_binary(reply)
                    continue
                if message[1] == 1:
                    handle_sync_message(message[1:], self.doc)
                    self.synced.set()
                    continue
                for match in MARKER.finditer(message):
                    marker = (int(match[1]), int(match[2]))
                    sent = POOL.sent.get(marker)
                    if sent is None or marker[0] == self.me:
                        continue
                    sent.got += 1
                    events.request.fire(request_type="WS", name="storyboard update relayed",
                                        response_time=(now - sent.at) * 1000, response_length=len(message),
                                        exception=None, context={})
        except Exception as exc:
            if self.ws is not None:  # (not when this user closed it)
                events.request.fire(request_type="WS", name="storyboard socket closed", response_time=0,
                                    response_length=0, exception=exc, context={})
                self._close()

    @task
    def type(self) -> None:
        gevent.sleep(random.uniform(1.5, 2.5))
        if self.ws is None:
            return
        before = self.doc.get_state()
        self.title += f"\x02{self.me}.{self.seq}\x03"
        message = create_update_message(self.doc.get_update(before))
        others = len(POOL.online.get(self.room, ())) - 1
        POOL.sent[(self.me, self.seq)] = Sent(time.perf_counter(), others)
        self.seq += 1
        started = time.perf_counter()
        try:
            self.ws.send_binary(message)
        except Exception as exc:
            _fire("storyboard update sent", "WS", started, error=exc)
            self._close()

    def _close(self) -> None:
        ws, self.ws = self.ws, None
        POOL.online.get(self.room, set()).discard(self.me)
        if ws is not None:
            with contextlib.suppress(Exception):  # (already gone)
                ws.close(timeout=1)

    def on_stop(self) -> None:
        self._close()


# --- stepping the load ------------------------------------------------------------------------

def _cpu_busy() -> tuple[float, float]:
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return fields[3] + fields[4], sum(fields)  # idle + iowait, total


def _entry(stats: Any) -> dict[str, Any]:
    return {"requests": stats.num_requests, "failures": stats.num_failures,
            **{f"p{q}_ms": stats.get_response_time_percentile(q / 100) for q in (50, 95, 99)},
            "max_ms": round(stats.max_response_time, 1)}


def run_load(url: str, made: dict, *, step: int, step_s: float, settle_s: float,
             max_users: int) -> dict[str, Any]:
    """Step the load on `url`; every step's figures and the users held."""
    POOL.reset(made["tokens"], made["rooms"])
    environment = Environment(user_classes=[Viewer, Creator, Editor], host=url, events=events)
    runner = environment.create_local_runner()
    steps: list[dict[str, Any]] = []
    held = 0
    try:
        for users in range(step, max_users + 1, step):
            runner.start(users, spawn_rate=max(step, 10))
            gevent.sleep(settle_s)
            runner.stats.reset_all()
            idle0, total0 = _cpu_busy()
            started = time.perf_counter()
            gevent.sleep(step_s)
            elapsed = time.perf_counter() - started
            idle1, total1 = _cpu_busy()
            expected, lost = POOL.lost(time.perf_counter() - LOST_AFTER_S)
            http = {name: _entry(s) for (name, kind), s in runner.stats.entries.items() if kind != "WS"}
            ws = {name: _entry(s) for (name, kind), s in runner.stats.entries.items() if kind == "WS"}
            requests = sum(e["requests"] for e in http.values())
            failures = sum(e["failures"] for e in http.values()) + sum(e["failures"] for e in ws.values())
            errors = [f"{e.method} {e.name}: {e.error}"[:300] for e in runner.stats.errors.values()][:10]
            feed = http.get(FEED, {}).get("p95_ms") or 0
            share = failures / max(1, requests)
            record = {"users": users, "http_rps": round(requests / elapsed, 1), "http_requests": requests,
                      "failures": failures, "error_share": round(share, 4), "endpoints": http,
                      "websocket": ws,
                      "ws_receipts_expected": expected, "ws_receipts_lost": lost,
                      "machine_cpu_busy": round(1 - (idle1 - idle0) / max(1.0, total1 - total0), 3),
                      "errors": errors}
            steps.append(record)
            print(f"  {users:4d} users: {record['http_rps']:6.1f} req/s, feed p95 {feed:6.0f} ms, "
                  f"update p95 {ws.get('storyboard update relayed', {}).get('p95_ms', 0):5.0f} ms, "
                  f"errors {share:.2%}, lost {lost}/{expected}, CPU {record['machine_cpu_busy']:.0%}",
                  flush=True)
            if feed > FEED_P95_MS or share > ERROR_SHARE:
                break
            held = users
    finally:
        runner.quit()
    return {"users_held": held, "stopped_by": _stopped_by(steps, max_users), "steps": steps}


def _stopped_by(steps: list[dict], max_users: int) -> str:
    last = steps[-1] if steps else {}
    if last.get("error_share", 0) > ERROR_SHARE:
        return f"errors {last['error_share']:.2%} > {ERROR_SHARE:.0%}"
    if (last.get("endpoints", {}).get(FEED, {}).get("p95_ms") or 0) > FEED_P95_MS:
        return f"feed p95 > {FEED_P95_MS:.0f} ms"
    return f"reached {max_users} users"


def _at_held(result: dict) -> dict:
    """The step of the users held (the first step when none was)."""
    return next((s for s in result["steps"] if s["users"] == result["users_held"]), result["steps"][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two short steps per target; writes nothing")
    parser.add_argument("--step", type=int, default=16)
    parser.add_argument("--step-s", type=float, default=30.0)
    parser.add_argument("--settle-s", type=float, default=8.0)
    parser.add_argument("--max-users", type=int, default=320)
    parser.add_argument("--only", choices=("single", "cluster"))
    args = parser.parse_args()
    if args.quick:
        args.step_s, args.settle_s, args.max_users = 10.0, 4.0, args.step * 2
    if shutil.which("haproxy") is None:
        sys.exit("HAProxy is missing: `make cluster-tools` installs it.")
    rooms = args.max_users * Editor.weight // 16 // PER_ROOM + 2
    people = rooms * PER_ROOM + args.max_users
    results: dict[str, dict] = {}
    for name in ("single", "cluster"):
        if args.only and name != args.only:
            continue
        print(f"{name}: starting", flush=True)
        with target(name, people=people, rooms=rooms) as (url, made):
            print(f"{name}: {url}, stepping {args.step} users every {args.step_s:.0f} s", flush=True)
            results[name] = run_load(url, made, step=args.step, step_s=args.step_s,
                                     settle_s=args.settle_s, max_users=args.max_users)
    if args.quick or len(results) < 2:  # (a partial run: its figures go to a scratch file)
        scratch = Path(tempfile.gettempdir()) / "cluster_load_partial.json"
        scratch.write_text(json.dumps(results, indent=2) + "\n")
        print(f"not a full run: figures in {scratch}")
        return
    cluster, single = results["cluster"], results["single"]
    c, s = _at_held(cluster), _at_held(single)
    result = {
        "benchmark": "cluster_load",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform(),
                    "note": "Locust, HAProxy, the web processes, the workers, PostgreSQL and Redis "
                            "share these cores"},
        "workload": {"mix": {"viewer": Viewer.weight, "editor": Editor.weight, "creator": Creator.weight},
                     "step_users": args.step, "step_s": args.step_s, "settle_s": args.settle_s,
                     "max_users": args.max_users, "stop": f"feed p95 > {FEED_P95_MS:.0f} ms or errors > "
                                                          f"{ERROR_SHARE:.0%}",
                     "editors_per_room": PER_ROOM, "gallery": "the 15 demo works",
                     "targets": {"cluster": "manage.py up --topology cluster: HAProxy, 2 uvicorn, "
                                            "worker-gpu, worker, beat, anvil; PostgreSQL and Redis on "
                                            "127.0.0.1",
                                 "single": "manage.py up (make up): 1 uvicorn, 2 workers, beat, anvil; "
                                           "SQLite and the embedded Valkey"}},
        "metrics": cluster,
        "baseline": {"name": "single-process make up", "metrics": single},
        "ratios": {"users_held": round(cluster["users_held"] / max(1, single["users_held"]), 2),
                   "http_rps_at_held": round(c["http_rps"] / max(0.1, s["http_rps"]), 2)},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cluster_load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"users_held": {"cluster": cluster["users_held"], "single": single["users_held"]},
                      "stopped_by": {"cluster": cluster["stopped_by"], "single": single["stopped_by"]},
                      "ratios": result["ratios"]}, indent=2))


if __name__ == "__main__":
    main()
