"""Collaboration relay: latency, throughput and losses of the storyboard websocket
(`/ws/projects/<id>/storyboard`, Channels + pycrdt + update log + Redis pub/sub) against
pycrdt-websocket's own ASGIServer (in-memory rooms, no auth, no storage) as the baseline.

Workload: N clients (20, 100, 200) all in one room, then spread over 20 rooms; every client
inserts a few characters at the end of the room's `title` Y.Text every 100 ms for a fixed time.
Each insert is a marker `\\x02<client>.<seq>\\x03`; Yjs carries inserted text verbatim in its
updates (also when the relay merges or re-encodes them), so a receiver finds the markers in
the raw bytes of each SYNC_UPDATE and looks up the send time the sender recorded (all clients
live in this process, one asyncio loop, one clock). Relay latency = receipt on every other
client in the room minus send. Lost = expected receipts not seen by the end of the drain.

Each scenario gets a fresh server process (uvicorn, the same flags for both servers; the
Redis keys under the test prefix cleared between runs), fresh rooms, and runs ours then the
baseline.
Ours runs as `make up` does: with the embedded Valkey (fan-out) and a Celery worker
(log compaction), whose CPU is reported beside the web process's ("stack"). CPU and memory come
from /proc; CPU that other processes used meanwhile is reported too (the machine is shared),
and each scenario first waits for the machine to go quiet (--quiet-wait).

    .venv/bin/python benchmarks/collab_relay.py            # the full run, writes results/
    .venv/bin/python benchmarks/collab_relay.py --quick    # a smoke run, writes nothing
"""

import argparse
import asyncio
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import ROOT, cell, django_environment, write_result

MARKER = re.compile(rb"\x02(\d+)\.(\d+)\x03")
TICK = os.sysconf("SC_CLK_TCK")
# Both servers run as `make up` runs the platform's (uvicorn's websockets-sansio implementation).
SERVER_FLAGS = ["--host", "127.0.0.1", "--ws", "websockets-sansio", "--ws-max-size", str(64 * 1024 * 1024),
                "--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "5"]


# --- processes and /proc -------------------------------------------------------------------

def proc_cpu(pid: int) -> float:
    """user + system CPU seconds of a process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def machine_busy() -> float:
    """CPU seconds all processes on the machine have used (for what else ran meanwhile)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def wait_for_quiet(budget: float) -> float:
    """These machines are shared: wait (at most `budget` seconds) until other processes use
    under 15% of a core for a second. Returns the seconds waited."""
    waited = 0.0
    while waited < budget:
        busy0, own0 = machine_busy(), own_cpu()
        time.sleep(1.0)
        waited += 1.0
        if machine_busy() - busy0 - (own_cpu() - own0) < 0.15:
            return waited - 1.0
    return waited


def own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def child_pid(name: str) -> int | None:
    """A child of this process whose command line mentions `name` (the harness's Valkey)."""
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if stat[1] == me and name in (entry / "cmdline").read_bytes().decode(errors="replace"):
                return int(entry.name)
    return None


def server_version() -> dict[str, Any]:
    """Which server was measured: the commit, and a digest of the collab code as it was on disk
    (the working tree may hold uncommitted changes)."""
    import hashlib

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "platform"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    digest = hashlib.sha256()
    for path in sorted((ROOT / "platform" / "collab").glob("*.py")):
        digest.update(path.read_bytes())
    return {"commit": commit, "platform_uncommitted_changes": bool(dirty),
            "collab_sha256": digest.hexdigest()[:16]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log_path: Path

    @classmethod
    def start(cls, name: str, app: str, env: dict[str, str], log_dir: Path, extra: list[str]) -> "Server":
        port = free_port()
        log_path = log_dir / f"{name}-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", app, *SERVER_FLAGS, "--port", str(port), *extra],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = cls(name, process, port, log_path)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return server
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"{name} did not start: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_summary(self, split_at: int | None = None) -> dict[str, Any]:
        """Errors in the server's log while clients were measured, and after (clients leaving)."""
        return log_summary(self.log_path, split_at)


def log_summary(path: Path, split_at: int | None) -> dict[str, Any]:
    data = path.read_bytes()
    split_at = len(data) if split_at is None else split_at
    summary: dict[str, Any] = {}
    for part, text in (("during_run", data[:split_at]), ("at_teardown", data[split_at:])):
        lines = text.decode(errors="replace").splitlines()
        bad = [line.strip() for line in lines if any(
            word in line for word in ("ERROR", "Error:", "Traceback", "Exception", "WARNING"))]
        summary[part] = {"error_lines": len(bad),
                         "first_distinct": list(dict.fromkeys(line[:200] for line in bad))[:6]}
    return summary


def start_worker(env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen, Path]:
    """The platform's Celery worker (compaction runs there), one process (solo pool) so that
    /proc/<pid>/stat holds all its CPU."""
    log_path = log_dir / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "core", "worker", "-Q", "default", "--pool", "solo",
             "--loglevel", "INFO", "-n", f"relay-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b" ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Celery worker did not start: {log_path.read_text()[-2000:]}")
        time.sleep(0.1)
    return process, log_path


# --- clients --------------------------------------------------------------------------------

@dataclass
class Peer:
    index: int
    room: int
    url: str
    headers: dict[str, str]
    ws: Any = None
    doc: Any = None
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    got: bytearray = field(default_factory=bytearray)  # [sender * max_seq + seq] received
    error: str = ""
    closed_by_server: str = ""
    task: asyncio.Task | None = None


@dataclass
class Tally:
    n: int
    max_seq: int
    send_ns: list[array]
    latencies: array = field(default_factory=lambda: array("q"))
    received: int = 0
    duplicates: int = 0
    foreign: int = 0  # markers of senders in other rooms (must be 0)
    last_rx_ns: int = 0
    tracking: bool = True


async def reader(peer: Peer, tally: Tally, room_of: list[int]) -> None:
    from pycrdt import handle_sync_message
    from websockets.exceptions import ConnectionClosed

    send_ns, max_seq, me = tally.send_ns, tally.max_seq, peer.index
    try:
        async for message in peer.ws:
            now = time.perf_counter_ns()
            if not isinstance(message, bytes) or len(message) < 2 or message[0] != 0:
                continue  # awareness and the like
            if message[1] == 0:  # sync step 1: answer with what this client has
                reply = handle_sync_message(message[1:], peer.doc)
                if reply is not None:
                    await peer.ws.send(reply)
                continue
            if message[1] == 1:
                peer.synced.set()
            for match in MARKER.finditer(message):
                sender, seq = int(match[1]), int(match[2])
                if sender == me:
                    continue  # the baseline echoes a client's own updates
                if room_of[sender] != peer.room:
                    tally.foreign += 1
                    continue
                slot = sender * max_seq + seq
                if seq >= len(send_ns[sender]):  # not a send this run recorded (cannot happen)
                    tally.foreign += 1
                    continue
                if peer.got[slot]:
                    tally.duplicates += 1
                    continue
                peer.got[slot] = 1
                tally.received += 1
                tally.latencies.append(now - send_ns[sender][seq])
                tally.last_rx_ns = now
    except ConnectionClosed as exc:
        if tally.tracking:  # not when this benchmark closes it
            peer.closed_by_server = f"{exc.rcvd.code if exc.rcvd else 'no close frame'}"
    except Exception as exc:  # recorded, never fatal for the run
        peer.error = repr(exc)[:200]


async def writer(peer: Peer, tally: Tally, start: float, end: float, interval: float,
                 offset: float) -> None:
    from pycrdt import Text, create_update_message

    loop = asyncio.get_running_loop()
    text = peer.doc.get("title", type=Text)
    sends = tally.send_ns[peer.index]
    next_at = start + offset
    seq = 0
    while seq < tally.max_seq:
        delay = next_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if loop.time() >= end or peer.closed_by_server or peer.error:
            return
        before = peer.doc.get_state()
        text += f"\x02{peer.index}.{seq}\x03"  # appended at the end of this client's own text
        message = create_update_message(peer.doc.get_update(before))
        sends.append(time.perf_counter_ns())
        try:
            await peer.ws.send(message)
        except Exception as exc:
            peer.error = peer.error or f"send: {exc!r}"[:200]
            sends.pop()
            return
        seq += 1
        next_at = max(next_at + interval, loop.time())  # a late client does not burst to catch up


async def sampler(pids: list[int], peaks: dict[int, int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0), proc_kib(pid, "VmRSS"))
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


def quantile(ordered: list[int], q: float) -> float:
    """Nearest-rank quantile of sorted nanoseconds, in milliseconds."""
    return round(ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] / 1e6, 3)


async def run_scenario(*, urls: list[str], headers: list[dict[str, str]], room_of: list[int],
                       origin: str, duration: float, interval: float, drain: float, compression: bool,
                       server_pid: int, extra_pids: dict[str, int], log_path: Path) -> dict[str, Any]:
    from pycrdt import Doc, Text, create_sync_message
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    n = len(urls)
    max_seq = int(duration / interval) + 5
    tally = Tally(n=n, max_seq=max_seq, send_ns=[array("q") for _ in range(n)])
    peers = [Peer(i, room_of[i], urls[i], headers[i]) for i in range(n)]
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(16)

    async def join(peer: Peer) -> None:
        peer.doc = Doc()
        peer.doc.get("title", type=Text)
        peer.got = bytearray(n * max_seq)
        async with gate:
            try:
                peer.ws = await connect(peer.url, additional_headers=peer.headers, origin=Origin(origin),
                                        compression="deflate" if compression else None,
                                        max_size=None, ping_interval=None, open_timeout=30)
            except Exception as exc:
                peer.error = f"connect: {exc!r}"[:200]
                return
        peer.task = asyncio.create_task(reader(peer, tally, room_of))
        # y-websocket's opening: ask for the server's state (it asks for ours too).
        await peer.ws.send(create_sync_message(peer.doc))
        try:
            await asyncio.wait_for(peer.synced.wait(), 30)
        except TimeoutError:
            peer.error = peer.error or "no sync step 2 within 30 s"

    joined_at = time.perf_counter()
    # The first client of each room joins alone: pycrdt-websocket's WebsocketServer hangs clients
    # that race to open a new room (the second start of a YRoom waits on a lock the first holds).
    firsts = {room: peer for peer in reversed(peers) for room in [peer.room]}
    for peer in firsts.values():
        await join(peer)
    await asyncio.gather(*(join(p) for p in peers if firsts[p.room] is not p))
    connect_s = time.perf_counter() - joined_at
    live = [p for p in peers if p.ws is not None and not p.error]
    failed = [p for p in peers if p not in live]
    result: dict[str, Any] = {"clients_connected": len(live), "connect_s": round(connect_s, 2)}
    if failed:
        result["connect_failures"] = len(failed)
        result["connect_errors"] = list(dict.fromkeys(p.error for p in failed))[:5]
    if not live:
        result["error"] = "no client could connect"
        return result

    peaks: dict[int, int] = {}
    stop_sampling = asyncio.Event()
    pids = [server_pid, *extra_pids.values()]
    sampling = asyncio.create_task(sampler(pids, peaks, stop_sampling))
    cpu0 = {pid: proc_cpu(pid) for pid in pids}
    own0, busy0, wall0 = own_cpu(), machine_busy(), time.perf_counter()
    start = loop.time() + 0.2
    end = start + duration
    send_start_ns = time.perf_counter_ns() + 200_000_000
    await asyncio.gather(*(writer(p, tally, start, end, interval, (p.index * 0.6180339887 % 1) * interval)
                           for p in live))
    send_wall = time.perf_counter() - wall0 - 0.2

    members: dict[int, int] = {}
    for peer in live:
        members[peer.room] = members.get(peer.room, 0) + 1
    sent = {p.index: len(tally.send_ns[p.index]) for p in live}
    expected = sum(count * (members[room_of[i]] - 1) for i, count in sent.items())
    drain_started = time.perf_counter()
    while tally.received < expected and time.perf_counter() - drain_started < drain:
        await asyncio.sleep(0.02)
    drain_s = time.perf_counter() - drain_started
    wall = time.perf_counter() - wall0
    cpu1 = {pid: proc_cpu(pid) for pid in pids}
    own1, busy1 = own_cpu(), machine_busy()
    tally.tracking = False
    result["_log_offset"] = log_path.stat().st_size
    stop_sampling.set()
    await sampling

    hwm = proc_kib(server_pid, "VmHWM")
    async def leave(peer: Peer) -> None:
        with suppress(Exception):
            await asyncio.wait_for(peer.ws.close(), 2)

    await asyncio.gather(*(leave(p) for p in live))
    for peer in live:
        if peer.task is not None:
            peer.task.cancel()
            with suppress(BaseException):
                await peer.task

    total_sent = sum(sent.values())
    ordered = sorted(tally.latencies)
    window = ((tally.last_rx_ns - send_start_ns) / 1e9) if tally.received else 0.0
    server_cpu = cpu1[server_pid] - cpu0[server_pid]
    result.update({
        "updates_sent": total_sent,
        "sent_per_s": round(total_sent / send_wall, 1),
        "expected_receipts": expected,
        "received": tally.received,
        "lost": expected - tally.received,
        "duplicates": tally.duplicates,
        "misrouted": tally.foreign,
        "p50_ms": quantile(ordered, 0.50) if ordered else None,
        "p99_ms": quantile(ordered, 0.99) if ordered else None,
        "max_ms": quantile(ordered, 1.0) if ordered else None,
        "mean_ms": round(sum(ordered) / len(ordered) / 1e6, 3) if ordered else None,
        "delivered_per_s": round(tally.received / window, 1) if window > 0 else 0.0,
        "offered_deliveries_per_s": round(expected / send_wall, 1),
        "drain_s": round(drain_s, 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_pct_of_core": round(100 * server_cpu / wall, 1),
        "server_peak_rss_mib": round(max(hwm, peaks.get(server_pid, 0)) / 1024, 1),
        "client_cpu_s": round(own1 - own0, 2),
        "client_cpu_pct_of_core": round(100 * (own1 - own0) / wall, 1),
        "measured_wall_s": round(wall, 2),
    })
    ours_cpu = sum(cpu1[pid] - cpu0[pid] for pid in pids) + own1 - own0
    result["other_processes_cpu_pct_of_core"] = round(100 * max(0.0, busy1 - busy0 - ours_cpu) / wall, 1)
    stack_cpu = server_cpu
    for name, pid in extra_pids.items():
        stack_cpu += cpu1[pid] - cpu0[pid]
        result[f"{name}_cpu_s"] = round(cpu1[pid] - cpu0[pid], 2)
        result[f"{name}_cpu_pct_of_core"] = round(100 * (cpu1[pid] - cpu0[pid]) / wall, 1)
        result[f"{name}_peak_rss_mib"] = round(peaks.get(pid, 0) / 1024, 1)
    if extra_pids:
        result["stack_cpu_s"] = round(stack_cpu, 2)
        result["stack_cpu_pct_of_core"] = round(100 * stack_cpu / wall, 1)
    closed = [p.closed_by_server for p in live if p.closed_by_server]
    errors = [p.error for p in live if p.error]
    if closed:
        result["closed_by_server"] = {code: closed.count(code) for code in set(closed)}
    if errors:
        result["client_errors"] = list(dict.fromkeys(errors))[:5]
    seen = bytearray(n * max_seq)  # what at least one client received: the server relayed it
    for peer in live:
        seen = bytearray(a | b for a, b in zip(seen, peer.got, strict=True))
    result["_seen"] = (seen, max_seq)
    return result


def run_loop(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


# --- the run --------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", help="client counts, comma separated (default 20,100,200)")
    parser.add_argument("--rooms", type=int, help="rooms of the spread layout (default 20)")
    parser.add_argument("--layouts", default="one,spread", help="one (all in one room), spread")
    parser.add_argument("--duration", type=float, help="seconds of sending per scenario (default 10)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between a client's updates")
    parser.add_argument("--drain", type=float, help="seconds to wait after sending for late receipts "
                                                     "(then they count as lost; default 10)")
    parser.add_argument("--deflate", action="store_true",
                        help="offer permessage-deflate (browsers do; off by default to spare the "
                             "load generator, which shares the 2 cores with the server)")
    parser.add_argument("--servers", default="ours,baseline")
    parser.add_argument("--quiet-wait", type=float, default=120.0,
                        help="seconds in all to wait, before scenarios, for other processes to go "
                             "quiet (the machine is shared); 0 to start at once")
    parser.add_argument("--no-worker", action="store_true",
                        help="run ours without the Celery worker that compacts the update log")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 10 and 40 clients, 4 rooms, 3 s each; writes no result file")
    parser.add_argument("--write", action="store_true", help="write the result file even with --quick")
    args = parser.parse_args()
    defaults = {"clients": "10,40", "rooms": 4, "duration": 3.0, "drain": 5.0} if args.quick else {
        "clients": "20,100,200", "rooms": 20, "duration": 10.0, "drain": 10.0}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.client_counts = [int(x) for x in args.clients.split(",")]
    args.layout_list = args.layouts.split(",")
    args.server_list = args.servers.split(",")
    return args


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    version = server_version()
    with django_environment():
        from django.conf import settings

        from accounts.models import User
        from accounts.services import token_create
        from collab.schema import title_of
        from collab.selectors import document_for, document_load
        from projects.models import Membership
        from projects.roles import Role
        from projects.services import project_create
        from tests.servers import database_url

        most = max(args.client_counts)
        owner = User.objects.create_user(username="relay-owner", email="owner@example.com",
                                         password="a-long-bench-password")
        users = [User.objects.create_user(username=f"relay{i}", email=f"relay{i}@example.com")
                 for i in range(most)]
        tokens = [token_create(user=user, name="relay")[1] for user in users]

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings.test",
               "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
               "STORYLOOM_TEST_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
               "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}:{ROOT / 'benchmarks'}",
               "PYTHONUNBUFFERED": "1"}
        valkey_pid = child_pid("valkey")
        import redis

        valkey = redis.Redis.from_url(settings.REDIS_URL)
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        log_dir = Path(tempfile.mkdtemp(prefix="collab-relay-"))
        worker = worker_log = None
        if "ours" in args.server_list and not args.no_worker:
            worker, worker_log = start_worker(env, log_dir)
        stack = {name: pid for name, pid in (("valkey", valkey_pid),
                                             ("worker", worker.pid if worker else None)) if pid}

        quiet_budget = args.quiet_wait
        scenarios = [(n, layout) for layout in args.layout_list for n in args.client_counts]
        ours_metrics: dict[str, Any] = {}
        base_metrics: dict[str, Any] = {}
        for scenario_index, (n, layout) in enumerate(scenarios):
            rooms = 1 if layout == "one" else args.rooms
            room_of = [i % rooms for i in range(n)]
            key = f"{n} clients / {rooms} room{'s' if rooms > 1 else ''}"
            for which in args.server_list:
                waited = wait_for_quiet(quiet_budget)
                quiet_budget -= waited
                for stale in valkey.scan_iter(f"{prefix}*"):  # the channel layer's leftovers
                    valkey.delete(stale)
                print(f"[{time.monotonic() - started:6.1f}s] {which}: {key}", flush=True)
                if which == "ours":
                    projects = [project_create(user=owner, name=f"Relay {scenario_index}.{r}")
                                for r in range(rooms)]
                    Membership.objects.bulk_create(
                        Membership(project=projects[room_of[i]], user=users[i], role=Role.EDITOR)
                        for i in range(n))
                    server = Server.start("ours", "core.asgi:application", env, log_dir,
                                          ["--lifespan", "off"])
                    base = f"ws://127.0.0.1:{server.port}"
                    urls = [f"{base}/ws/projects/{projects[room_of[i]].pk}/storyboard" for i in range(n)]
                    headers = [{"Authorization": f"Bearer {tokens[i]}"} for i in range(n)]
                    extra = stack
                else:
                    server = Server.start("baseline", "_pycrdt_ws_app:app", env, log_dir,
                                          ["--lifespan", "on"])
                    base = f"ws://127.0.0.1:{server.port}"
                    urls = [f"{base}/relay/{scenario_index}/{room_of[i]}" for i in range(n)]
                    headers = [{} for _ in range(n)]
                    extra = {}
                try:
                    if which == "ours":  # the first request pays for lazy imports
                        import urllib.request
                        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/livez", timeout=30).close()
                    metrics = run_loop(run_scenario(
                        urls=urls, headers=headers, room_of=room_of, origin=f"http://127.0.0.1:{server.port}",
                        duration=args.duration, interval=args.interval, drain=args.drain,
                        compression=args.deflate, server_pid=server.process.pid, extra_pids=extra,
                        log_path=server.log_path))
                except Exception as exc:  # a scenario that cannot complete is recorded, not fatal
                    metrics = {"error": repr(exc)[:500]}
                finally:
                    server.stop()
                metrics["server_log"] = server.log_summary(metrics.pop("_log_offset", None))
                metrics["waited_for_quiet_machine_s"] = waited
                seen, max_seq = metrics.pop("_seen", (b"", 1))
                if which == "ours" and "error" not in metrics:
                    # Durability: what the server relayed to anyone must be in the stored document.
                    stored: set[int] = set()
                    for project in projects:
                        doc, _seq = document_load(document=document_for(project=project))
                        stored.update(int(m[1]) * max_seq + int(m[2])
                                      for m in MARKER.finditer(str(title_of(doc)).encode()))
                    relayed = {slot for slot, flag in enumerate(seen) if flag}
                    metrics["stored_in_log"] = len(stored)
                    metrics["stored_per_s"] = round(len(stored) / metrics["measured_wall_s"], 1)
                    metrics["sent_but_not_stored"] = metrics["updates_sent"] - len(stored)
                    metrics["relayed_but_not_stored"] = len(relayed - stored)
                (ours_metrics if which == "ours" else base_metrics)[key] = metrics
                print("         " + ", ".join(f"{k}={v}" for k, v in metrics.items()
                                              if k in ("p50_ms", "p99_ms", "lost", "delivered_per_s",
                                                       "server_cpu_pct_of_core", "error")), flush=True)

        worker_errors = None
        if worker is not None and worker_log is not None:
            worker.terminate()
            worker.wait(timeout=20)
            worker_errors = log_summary(worker_log, None)["during_run"]
            worker_errors["compactions"] = worker_log.read_text(errors="replace").count("succeeded in")
        ratios: dict[str, Any] = {}
        for key, ours in ours_metrics.items():
            base = base_metrics.get(key, {})
            row = {}
            for metric, label, base_metric in (
                    ("p50_ms", "p50", "p50_ms"), ("p99_ms", "p99", "p99_ms"),
                    ("delivered_per_s", "throughput", "delivered_per_s"),
                    ("server_cpu_s", "server_cpu", "server_cpu_s"),
                    ("stack_cpu_s", "stack_cpu", "server_cpu_s")):
                a, b = ours.get(metric), base.get(base_metric)
                row[f"{label} ours/baseline"] = round(a / b, 3) if a and b else None
            ratios[key] = row

        print_table(ours_metrics, base_metrics, ratios)
        workload = {
            "clients": args.client_counts, "layouts": {"one": 1, "spread": args.rooms},
            "update_interval_s": args.interval, "duration_s": args.duration, "drain_s": args.drain,
            "update": "a marker of 6-10 characters appended to the room's title Y.Text",
            "permessage_deflate": args.deflate,
            "process_layout": "all clients in one asyncio loop (uvloop) in the benchmark process; "
                              "each server is one uvicorn process (uvloop, websockets-sansio), "
                              "fresh per scenario; ours also uses the embedded Valkey (pub/sub fan-out), "
                              "the SQLite test database (update log) and one Celery worker "
                              "(solo pool: log compaction), whose CPU is in stack_cpu",
            "servers": {"ours": "core.asgi:application (Channels consumer, bearer-token auth, update "
                                "log in the database written in batches per process, Redis "
                                "pub/sub fan-out)",
                        "baseline": "pycrdt-websocket 0.16.5 ASGIServer + WebsocketServer "
                                    "(benchmarks/_pycrdt_ws_app.py)"},
            "latency": "receipt time of each update on every other client of its room minus the "
                       "sender's send time (one process, perf_counter_ns)",
            "lost": "expected receipts (updates sent x other clients in the room) not seen by "
                    "the end of the drain",
            "note": "with as many rooms as clients (20 clients over 20 rooms) nobody receives: that "
                    "scenario measures the write path only (CPU, stored updates)",
            "celery_worker": not args.no_worker,
            "server_version": version,
            "celery_worker_log": worker_errors,
        }
        if args.quick and not args.write:
            print("--quick: no result file written")
        else:
            write_result("collab_relay", workload, ours_metrics,
                         "pycrdt-websocket ASGIServer (same clients, same workload)", base_metrics, ratios)
            print("wrote benchmarks/results/collab_relay.json")
        print(f"total {time.monotonic() - started:.0f} s; server logs in {log_dir}")


def print_table(ours: dict[str, Any], base: dict[str, Any], ratios: dict[str, Any]) -> None:
    header = (f"{'scenario':<22} {'server':<8} {'p50 ms':>8} {'p99 ms':>9} {'deliv/s':>9} "
              f"{'sent/s':>7} {'lost':>8} {'cpu %':>6} {'stack %':>7} {'rss MiB':>8} {'client %':>8} "
              f"{'other %':>7}")
    print()
    print(header)
    print("-" * len(header))
    for key in ours:
        for name, metrics in (("ours", ours[key]), ("baseline", base.get(key))):
            if metrics is None:
                continue
            if "error" in metrics:
                print(f"{key:<22} {name:<8} error: {metrics['error'][:80]}")
                continue
            print(f"{key:<22} {name:<8} {cell(metrics['p50_ms'], 8)} {cell(metrics['p99_ms'], 9)} "
                  f"{cell(metrics['delivered_per_s'], 9, 0)} {cell(metrics['sent_per_s'], 7, 0)} "
                  f"{cell(metrics['lost'], 8)} {cell(metrics['server_cpu_pct_of_core'], 6)} "
                  f"{cell(metrics.get('stack_cpu_pct_of_core'), 7)} "
                  f"{cell(metrics['server_peak_rss_mib'], 8)} {cell(metrics['client_cpu_pct_of_core'], 8)} "
                  f"{cell(metrics['other_processes_cpu_pct_of_core'], 7)}")
        row = ratios.get(key, {})
        print(f"{'':<22} {'ratio':<8} " + "  ".join(
            f"{label.split()[0]} {cell(value, 6, 2).strip()}" for label, value in row.items()))
    noisy = [f"{key} ({name}: {metrics['other_processes_cpu_pct_of_core']}%)"
             for key in ours for name, metrics in (("ours", ours[key]), ("baseline", base.get(key) or {}))
             if metrics.get("other_processes_cpu_pct_of_core", 0) > 20]
    if noisy:
        print("warning: other processes used more than 20% of a core during " + ", ".join(noisy))
    for key in base:
        if key not in ours:
            print(f"{key:<22} baseline p50 {base[key].get('p50_ms')} p99 {base[key].get('p99_ms')}")


if __name__ == "__main__":
    main()
