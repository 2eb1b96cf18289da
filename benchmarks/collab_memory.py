"""Collaboration memory: what idle storyboard rooms and websockets cost the server process
(`/ws/projects/<id>/storyboard`: Channels + pycrdt + update log + Redis pub/sub) against
pycrdt-websocket's own ASGIServer (benchmarks/_pycrdt_ws_app.py: in-memory rooms, no auth, no
storage) as the baseline; y-websocket's published ~100 kB per small document is quoted beside
them as a reference, not measured.

Workload, for each server, a fresh server process (uvicorn, collab_relay.py's flags) per scenario:
  base         the RSS of the server after one warm-up client has joined a room, synced and
               left (lazy imports, the Redis connections, the thread pool are loaded), idle.
  rooms        R rooms (default 100), each a small storyboard (a title and four scenes with
               prompts, camera, style, seed, model: about 1.5 kB as a Yjs update), one client in
               each, synced, then idle. (RSS - base) / R = an open room with its one socket.
  connections  N clients (default 1,000) in one such room, synced, then idle.
               (RSS - base - one room) / (N - 1) = one more idle socket.
Ours loads each storyboard from the test database (stored as a compacted snapshot); the baseline
keeps no documents, so the first client of each room brings the same document (its answer to the
server's sync step 1). RSS = /proc/<pid>/status VmRSS, the median of three readings over 2 s
once idle (RssAnon beside it); beside them the server's open descriptors and, for ours, the
clients connected to Valkey, per client. Then the server's CPU over --cpu-window seconds of
idling (uvicorn pings every socket every 20 s; the clients send no awareness). Last, one client of the 1,000
edits the title and every other client must receive it (receipts counted, lost reported).

Clients: y-websocket's sync handshake (websockets client, no compression, no client pings), all
in this process on one asyncio loop (uvloop), joining 16 at a time; the first client of each room
alone (pycrdt-websocket hangs clients that race to open a new room). The test settings allow
100,000 websocket handshakes a minute per address and account (kernel.ws_limits), so no
handshake is refused; the rate reached is reported. The open-files limit of this process (and
so of the servers it starts) is raised to its hard limit.

    .venv/bin/python benchmarks/collab_memory.py                      # the full run, writes results/
    .venv/bin/python benchmarks/collab_memory.py --connections 1000 --rooms 100
    .venv/bin/python benchmarks/collab_memory.py --quick              # a smoke run, writes nothing
"""

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _harness import ROOT, cell, django_environment, write_result
from collab_relay import (
    Server,
    child_pid,
    machine_busy,
    own_cpu,
    proc_cpu,
    proc_kib,
    run_loop,
    server_version,
)

# The published reference (not measured here): y-websocket's author on the Yjs forum.
REFERENCE = {
    "name": "y-websocket (Node.js), published figure, not measured",
    "kib_per_small_document": 100,
    "source": "Kevin Jahns (dmonad, author of Yjs and y-websocket), Yjs community forum thread "
              "'Scalability of y-websocket server' (https://discuss.yjs.dev/t/scalability-of-y-websocket-"
              "server/274): every document being edited is held in memory, and a single small "
              "document (a small note) uses about 100 kb; not in y-websocket's README",
}
SCENES: list[dict[str, Any]] = [
    {"prompt": "A lighthouse on a rocky point at dawn, waves breaking below, gulls circling the lamp",
     "negative_prompt": "blurry, text, watermark", "camera": "slow dolly in",
     "style": "35 mm film, warm light", "seed": 1234, "model": "storyloom-tiny", "duration": 4.0},
    {"prompt": "The keeper climbs the spiral stairs with an oil lamp, shadows on the curved wall",
     "negative_prompt": "modern clothes", "camera": "low angle, tracking up",
     "style": "35 mm film, warm light", "seed": 1235, "model": "storyloom-tiny", "duration": 5.0},
    {"prompt": "Fishing boats leave the harbour in a line, mist lifting off the water",
     "negative_prompt": "", "camera": "wide, static", "style": "35 mm film, cold light",
     "seed": None, "model": "tiny-ltx-video", "duration": 4.0},
    {"prompt": "Close on the keeper's hands winding the clockwork of the lens",
     "negative_prompt": "extra fingers", "camera": "macro, rack focus", "style": "35 mm film",
     "seed": 77, "model": "storyloom-tiny", "duration": 3.0},
]


def storyboard_update(title: str) -> bytes:
    """A small storyboard as a real project holds it: a title and a few scenes."""
    from collab.schema import doc_new, scene_new, scenes_of, title_of

    doc = doc_new()
    with doc.transaction():
        title_of(doc).insert(0, title)
        scenes_of(doc).extend([scene_new(**scene) for scene in SCENES])
    return doc.get_update()


def raise_open_files(wanted: int) -> dict[str, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit (servers started later inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    new_soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if new_soft != resource.RLIM_INFINITY and new_soft < wanted:
        print(f"warning: at most {new_soft} open files (hard limit {hard}), {wanted} wanted")
    return {"soft_before": soft, "soft": new_soft, "hard": hard}


def proc_open_files_limit(pid: int) -> int | None:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


# --- clients --------------------------------------------------------------------------------

@dataclass(eq=False)  # (compared by identity: `in` over a thousand of them)
class Client:
    url: str
    headers: dict[str, str]
    doc: Any
    ws: Any = None
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    probe_at: float = 0.0  # perf_counter() when the probe edit arrived
    error: str = ""
    closed_by_server: str = ""
    task: asyncio.Task | None = None


@dataclass
class Run:
    probe: bytes = field(default_factory=lambda: f"\x02probe-{uuid.uuid4().hex[:8]}\x03".encode())
    tracking: bool = True


async def reader(client: Client, run: Run) -> None:
    from pycrdt import handle_sync_message
    from websockets.exceptions import ConnectionClosed

    try:
        async for message in client.ws:
            if not isinstance(message, bytes) or len(message) < 2 or message[0] != 0:
                continue  # awareness and the like
            if not client.probe_at and run.probe in message:
                client.probe_at = time.perf_counter()
            reply = handle_sync_message(message[1:], client.doc)
            if reply is not None:  # the server's sync step 1: what this client has
                await client.ws.send(reply)
            if message[1] == 1:
                client.synced.set()
    except ConnectionClosed as exc:
        if run.tracking:
            client.closed_by_server = f"{exc.rcvd.code if exc.rcvd else 'no close frame'}"
    except Exception as exc:  # recorded, never fatal for the run
        client.error = repr(exc)[:200]


async def join(client: Client, run: Run, origin: str, gate: asyncio.Semaphore) -> None:
    from pycrdt import create_sync_message
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    async with gate:
        try:
            client.ws = await connect(client.url, additional_headers=client.headers, origin=Origin(origin),
                                      compression=None, max_size=None, ping_interval=None, open_timeout=30)
        except Exception as exc:
            client.error = f"connect: {exc!r}"[:200]
            return
        client.task = asyncio.create_task(reader(client, run))
        try:
            await client.ws.send(create_sync_message(client.doc))  # y-websocket's opening
            await asyncio.wait_for(client.synced.wait(), 30)
        except TimeoutError:
            client.error = client.error or "no sync step 2 within 30 s"
        except Exception as exc:
            client.error = client.error or f"sync: {exc!r}"[:200]


async def leave(clients: list[Client], run: Run) -> None:
    run.tracking = False

    async def close(client: Client) -> None:
        if client.ws is not None:
            with suppress(Exception):
                await asyncio.wait_for(client.ws.close(), 5)

    gate = asyncio.Semaphore(64)

    async def gated(client: Client) -> None:
        async with gate:
            await close(client)

    await asyncio.gather(*(gated(c) for c in clients))
    for client in clients:
        if client.task is not None:
            client.task.cancel()
            with suppress(BaseException):
                await client.task


async def rss_median(pid: int, readings: int = 3, over: float = 2.0) -> dict[str, Any]:
    """Median VmRSS and RssAnon (KiB) of `readings` readings spread over `over` seconds."""
    rss: list[int] = []
    anon: list[int] = []
    for index in range(readings):
        if index:
            await asyncio.sleep(over / (readings - 1))
        rss.append(proc_kib(pid, "VmRSS"))
        anon.append(proc_kib(pid, "RssAnon"))
    return {"rss_kib": int(statistics.median(rss)), "rss_anon_kib": int(statistics.median(anon)),
            "rss_readings_kib": rss}


# --- one server, one scenario -----------------------------------------------------------------

@dataclass
class Plan:
    """What one scenario connects: the warm-up client, then the measured ones by room."""

    scenario: str
    warm: Client
    clients: list[Client]
    room_of: list[int]
    titles: list[str]  # the storyboard title of each room


async def measure(plan: Plan, *, pid: int, origin: str, settle: float, cpu_window: float,
                  probe: bool, valkey_pid: int | None,
                  valkey_clients: Callable[[], int] | None) -> dict[str, Any]:
    run = Run()
    gate = asyncio.Semaphore(16)
    result: dict[str, Any] = {}
    await asyncio.sleep(1.0)
    result["start"] = await rss_median(pid)

    # Warm-up: one client joins a room of its own, syncs and leaves.
    await join(plan.warm, run, origin, gate)
    if plan.warm.error:
        return {"error": f"warm-up client: {plan.warm.error}"}
    # The baseline echoes the document the client brought: leaving before that echo is sent makes
    # pycrdt-websocket 0.16.5 stop its WebsocketServer (a send to a gone client in the room's task
    # group, then "Awareness not started" escapes its exception handler).
    await asyncio.sleep(1.0)
    await leave([plan.warm], run)
    run.tracking = True
    await asyncio.sleep(2.0)  # the room is released
    result["base"] = await rss_median(pid)
    valkey_before = proc_kib(valkey_pid, "VmRSS") if valkey_pid else 0
    fds_before = open_fds(pid)
    clients_before = valkey_clients() if valkey_clients else 0

    # The clients: the first of each room alone, then the rest 16 at a time.
    started = time.perf_counter()
    firsts: dict[int, Client] = {}
    for client, room in zip(plan.clients, plan.room_of, strict=True):
        firsts.setdefault(room, client)
    for client in firsts.values():
        await join(client, run, origin, gate)
    first_ids = {id(c) for c in firsts.values()}
    await asyncio.gather(*(join(c, run, origin, gate) for c in plan.clients if id(c) not in first_ids))
    connect_s = time.perf_counter() - started
    live = [c for c in plan.clients if c.ws is not None and not c.error]
    failed = [c for c in plan.clients if c.ws is None or c.error]
    result.update({"clients": len(plan.clients), "clients_connected": len(live),
                   "rooms": len(firsts), "connect_s": round(connect_s, 2),
                   "connects_per_s": round(len(plan.clients) / connect_s, 1)})
    if failed:
        result["connect_failures"] = len(failed)
        result["connect_errors"] = list(dict.fromkeys(c.error for c in failed))[:5]

    await asyncio.sleep(settle)
    result["loaded"] = await rss_median(pid)
    if valkey_pid:
        result["valkey_rss_delta_kib"] = proc_kib(valkey_pid, "VmRSS") - valkey_before
    # What each socket holds besides memory: its own descriptors, and connections to Valkey.
    result["server_open_fds"] = {"base": fds_before, "loaded": open_fds(pid)}
    if valkey_clients:
        result["valkey_connected_clients"] = {"base": clients_before, "loaded": valkey_clients()}
    result["server_open_files_limit"] = proc_open_files_limit(pid)

    # Idle CPU (pings, timers) with every client connected and silent.
    cpu0, own0, busy0, wall0 = proc_cpu(pid), own_cpu(), machine_busy(), time.perf_counter()
    await asyncio.sleep(cpu_window)
    cpu1, own1, busy1, wall = proc_cpu(pid), own_cpu(), machine_busy(), time.perf_counter() - wall0
    server_cpu = cpu1 - cpu0
    result["idle"] = {
        "window_s": round(wall, 2), "server_cpu_s": round(server_cpu, 3),
        "server_cpu_pct_of_core": round(100 * server_cpu / wall, 2),
        "client_cpu_s": round(own1 - own0, 3),
        "other_processes_cpu_pct_of_core": round(
            100 * max(0.0, busy1 - busy0 - server_cpu - (own1 - own0)) / wall, 1),
    }
    # Every client got the room's storyboard.
    from pycrdt import Text

    result["clients_with_storyboard"] = sum(
        str(c.doc.get("title", type=Text)) == plan.titles[room]
        for c, room in zip(plan.clients, plan.room_of, strict=True) if c in live)

    if probe and len(live) > 1:
        from pycrdt import create_update_message

        sender = live[len(live) // 2]
        others = [c for c in live if c is not sender]
        before = sender.doc.get_state()
        title = sender.doc.get("title", type=Text)
        title += run.probe.decode()
        sent_at = time.perf_counter()
        await sender.ws.send(create_update_message(sender.doc.get_update(before)))
        deadline = sent_at + 15
        while time.perf_counter() < deadline and not all(c.probe_at for c in others):
            await asyncio.sleep(0.01)
        got = sorted(c.probe_at - sent_at for c in others if c.probe_at)
        result["receipts"] = {
            "expected": len(others), "received": len(got), "lost": len(others) - len(got),
            "first_ms": round(got[0] * 1000, 1) if got else None,
            "all_ms": round(got[-1] * 1000, 1) if len(got) == len(others) else None,
            "median_ms": round(statistics.median(got) * 1000, 1) if got else None,
        }
    closed = [c.closed_by_server for c in live if c.closed_by_server]
    errors = [c.error for c in live if c.error]
    if closed:
        result["closed_by_server"] = {code: closed.count(code) for code in set(closed)}
    if errors:
        result["client_errors"] = list(dict.fromkeys(errors))[:5]
    await leave(plan.clients, run)
    return result


def derive(metrics: dict[str, Any], per_room_kib: float | None) -> None:
    """The per-room / per-connection figures of a scenario's readings (in place)."""
    if "loaded" not in metrics:
        return
    delta = metrics["loaded"]["rss_kib"] - metrics["base"]["rss_kib"]
    anon = metrics["loaded"]["rss_anon_kib"] - metrics["base"]["rss_anon_kib"]
    metrics["rss_delta_kib"] = delta
    metrics["rss_anon_delta_kib"] = anon
    n = metrics["clients_connected"]
    fds = metrics.get("server_open_fds", {})
    if fds and n:
        metrics["server_fds_per_client"] = round((fds["loaded"] - fds["base"]) / n, 2)
    valkey_clients = metrics.get("valkey_connected_clients")
    if valkey_clients and n:
        metrics["valkey_connections_per_client"] = round(
            (valkey_clients["loaded"] - valkey_clients["base"]) / n, 2)
    if metrics["scenario"] == "rooms":
        metrics["kib_per_room"] = round(delta / max(1, metrics["rooms"]), 1)
        metrics["anon_kib_per_room"] = round(anon / max(1, metrics["rooms"]), 1)
    elif n > 1:
        room = per_room_kib or 0.0
        metrics["kib_per_connection"] = round((delta - room) / (n - 1), 2)
        metrics["one_room_subtracted_kib"] = room


# --- the run --------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, help="idle clients in one room (default 1000)")
    parser.add_argument("--rooms", type=int, help="rooms with one client each (default 100)")
    parser.add_argument("--settle", type=float, help="seconds idle after the last sync before the "
                                                     "readings (default 5)")
    parser.add_argument("--cpu-window", type=float, help="seconds of idle CPU measured (default 10)")
    parser.add_argument("--servers", default="ours,baseline")
    parser.add_argument("--scenarios", default="rooms,connections")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 10 rooms, 50 connections, short waits; writes no result file")
    parser.add_argument("--write", action="store_true", help="write the result file even with --quick")
    args = parser.parse_args()
    defaults = ({"connections": 50, "rooms": 10, "settle": 1.0, "cpu_window": 2.0} if args.quick else
                {"connections": 1000, "rooms": 100, "settle": 5.0, "cpu_window": 10.0})
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.server_list = args.servers.split(",")
    args.scenario_list = args.scenarios.split(",")
    return args


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    open_files = raise_open_files(2 * args.connections + 200)  # before the harness starts Valkey
    with django_environment():
        from django.conf import settings
        from django.db import transaction
        from pycrdt import Doc

        from accounts.models import User
        from accounts.services import token_create
        from collab.selectors import document_for
        from projects.models import Membership
        from projects.roles import Role
        from projects.services import project_create
        from tests.servers import database_url

        most = max(args.connections, args.rooms)
        with transaction.atomic():
            owner = User.objects.create_user(username="mem-owner", email="owner@example.com",
                                             password="a-long-bench-password")
            users = [User.objects.create_user(username=f"mem{i}", email=f"mem{i}@example.com")
                     for i in range(most)]
            tokens = [token_create(user=user, name="mem")[1] for user in users]
        print(f"[{time.monotonic() - started:6.1f}s] {most} users and tokens", flush=True)
        update_bytes = len(storyboard_update("Harbour at dawn #0"))

        def projects_with_storyboards(label: str, count: int, members: list[list[int]]) -> list[Any]:
            """`count` projects, each with a storyboard stored as a compacted snapshot."""
            made = []
            with transaction.atomic():
                for r in range(count):
                    project = project_create(user=owner, name=f"Memory {label} {r}")
                    document = document_for(project=project)
                    document.snapshot = storyboard_update(f"Harbour at dawn #{r}")
                    document.save(update_fields=["snapshot"])
                    Membership.objects.bulk_create(Membership(project=project, user=users[i],
                                                              role=Role.EDITOR) for i in members[r])
                    made.append(project)
            return made

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings.test",
               "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
               "STORYLOOM_TEST_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
               "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}:{ROOT / 'benchmarks'}",
               "PYTHONUNBUFFERED": "1"}
        import redis

        valkey = redis.Redis.from_url(settings.REDIS_URL)
        valkey_pid = child_pid("valkey")

        def valkey_clients() -> int:
            return int(valkey.info("clients")["connected_clients"])

        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        log_dir = Path(tempfile.mkdtemp(prefix="collab-memory-"))

        results: dict[str, dict[str, Any]] = {"ours": {}, "baseline": {}}
        for scenario in args.scenario_list:
            if scenario == "rooms":
                room_of = list(range(args.rooms))
            elif scenario == "connections":
                room_of = [0] * args.connections
            else:
                raise SystemExit(f"unknown scenario {scenario!r}")
            rooms = max(room_of) + 1
            titles = [f"Harbour at dawn #{r}" for r in range(rooms)]
            for which in args.server_list:
                for stale in valkey.scan_iter(f"{prefix}*"):  # the channel layer's and throttles' keys
                    valkey.delete(stale)
                print(f"[{time.monotonic() - started:6.1f}s] {which}: {scenario} "
                      f"({len(room_of)} clients, {rooms} rooms)", flush=True)
                if which == "ours":
                    members = [[i for i, room in enumerate(room_of) if room == r] for r in range(rooms)]
                    projects = projects_with_storyboards(scenario, rooms, members)
                    warm_project = projects_with_storyboards(f"{scenario} warm-up", 1, [[0]])[0]
                    server = Server.start("ours", "core.asgi:application", env, log_dir,
                                          ["--lifespan", "off"])
                    base = f"ws://127.0.0.1:{server.port}/ws/projects"
                    warm = Client(f"{base}/{warm_project.pk}/storyboard",
                                  {"Authorization": f"Bearer {tokens[0]}"}, Doc())
                    clients = [Client(f"{base}/{projects[room].pk}/storyboard",
                                      {"Authorization": f"Bearer {tokens[i]}"}, Doc())
                               for i, room in enumerate(room_of)]
                    extra_pid = valkey_pid
                    clients_of_valkey: Callable[[], int] | None = valkey_clients
                else:
                    server = Server.start("baseline", "_pycrdt_ws_app:app", env, log_dir,
                                          ["--lifespan", "on"])
                    base = f"ws://127.0.0.1:{server.port}/memory/{scenario}"
                    # No storage: the first client of each room brings the storyboard.
                    warm_doc: Doc = Doc()
                    warm_doc.apply_update(storyboard_update("Harbour at dawn #0"))
                    warm = Client(f"{base}/warm-up", {}, warm_doc)
                    clients, seen = [], set()
                    for room in room_of:
                        doc: Doc = Doc()
                        if room not in seen:
                            seen.add(room)
                            doc.apply_update(storyboard_update(titles[room]))
                        clients.append(Client(f"{base}/{room}", {}, doc))
                    extra_pid = None
                    clients_of_valkey = None
                plan = Plan(scenario, warm, clients, room_of, titles)
                log_offset = None
                try:
                    metrics = run_loop(measure(
                        plan, pid=server.process.pid, origin=f"http://127.0.0.1:{server.port}",
                        settle=args.settle, cpu_window=args.cpu_window, probe=scenario == "connections",
                        valkey_pid=extra_pid, valkey_clients=clients_of_valkey))
                    log_offset = server.log_path.stat().st_size
                except Exception as exc:  # a scenario that cannot complete is recorded, not fatal
                    metrics = {"error": repr(exc)[:500]}
                finally:
                    server.stop()
                metrics["scenario"] = scenario
                metrics["server_log"] = server.log_summary(log_offset)
                per_room = results[which].get("rooms", {}).get("kib_per_room")
                derive(metrics, per_room)
                results[which][scenario] = metrics
                print("         " + ", ".join(f"{k}={v}" for k, v in metrics.items() if k in (
                    "clients_connected", "clients_with_storyboard", "connects_per_s", "rss_delta_kib",
                    "kib_per_room", "kib_per_connection", "receipts", "error")), flush=True)

        summary = {which: summarize(results[which]) for which in args.server_list}
        ratios = ratio_rows(summary)
        print_table(results, summary, ratios, args)
        workload = {
            "rooms": args.rooms, "connections": args.connections,
            "settle_s": args.settle, "cpu_window_s": args.cpu_window,
            "storyboard": f"a title and {len(SCENES)} scenes (prompt, negative prompt, camera, style, "
                          f"seed, model, duration): {update_bytes} bytes as a Yjs update",
            "how": "a fresh server process per scenario; base = RSS after one warm-up client joined, "
                   "synced and left; rooms: (RSS - base) / rooms, one client per room; connections: "
                   "(RSS - base - one room) / (connections - 1), all in one room; RSS = VmRSS, median "
                   "of 3 readings over 2 s, after settle_s idle",
            "clients": "websockets clients in this process (uvloop), y-websocket's sync handshake, no "
                       "compression, no awareness, no client pings (uvicorn pings every 20 s); joining "
                       "16 at a time, the first client of each room alone",
            "connect_rate_limit": {
                "ws_connects_per_minute_address": settings.WS_CONNECTS_PER_MINUTE_ADDRESS,
                "ws_connects_per_minute_account": settings.WS_CONNECTS_PER_MINUTE_ACCOUNT,
                "note": "test settings: nothing refused; the rate reached is connects_per_s"},
            "open_files_limit": open_files,
            "servers": {"ours": "core.asgi:application (uvicorn, websockets-sansio; SQLite test database, "
                                "embedded Valkey for fan-out; Valkey's RSS growth reported apart)",
                        "baseline": "pycrdt-websocket 0.16.5 ASGIServer + WebsocketServer "
                                    "(benchmarks/_pycrdt_ws_app.py), same uvicorn flags"},
            "reference": REFERENCE,
            "server": server_version(),
            "units": "KiB (1024 bytes); the published figure is in the author's kb",
        }
        ours_metrics = {**results.get("ours", {}), "summary": summary.get("ours", {})}
        base_metrics = {**results.get("baseline", {}), "summary": summary.get("baseline", {})}
        if args.quick and not args.write:
            print("--quick: no result file written")
        else:
            write_result("collab_memory", workload, ours_metrics,
                         "pycrdt-websocket ASGIServer (same clients, same documents)", base_metrics, ratios)
            print("wrote benchmarks/results/collab_memory.json")
        print(f"total {time.monotonic() - started:.0f} s; server logs in {log_dir}")


def summarize(scenarios: dict[str, Any]) -> dict[str, Any]:
    rooms, conns = scenarios.get("rooms", {}), scenarios.get("connections", {})
    bases = [s["base"]["rss_kib"] for s in (rooms, conns) if "base" in s]
    out: dict[str, Any] = {
        "base_rss_mib": round(statistics.mean(bases) / 1024, 1) if bases else None,
        "kib_per_room": rooms.get("kib_per_room"),
        "kib_per_connection": conns.get("kib_per_connection"),
        "idle_cpu_s_with_all_connections": conns.get("idle", {}).get("server_cpu_s"),
        "idle_cpu_window_s": conns.get("idle", {}).get("window_s"),
        "receipts": conns.get("receipts"),
        "server_fds_per_connection": conns.get("server_fds_per_client"),
        "valkey_connections_per_connection": conns.get("valkey_connections_per_client"),
    }
    if "valkey_rss_delta_kib" in rooms:
        out["valkey_kib_per_room"] = round(rooms["valkey_rss_delta_kib"] / max(1, rooms["rooms"]), 1)
    return out


def ratio_rows(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ours, base = summary.get("ours", {}), summary.get("baseline", {})
    rows: dict[str, Any] = {}
    for key in ("base_rss_mib", "kib_per_room", "kib_per_connection", "idle_cpu_s_with_all_connections"):
        a, b = ours.get(key), base.get(key)
        rows[f"{key} ours/baseline"] = round(a / b, 2) if a is not None and b else None
    if ours.get("kib_per_room") is not None:
        rows["kib_per_room ours / y-websocket published ~100 kb (reference, not measured)"] = round(
            ours["kib_per_room"] / REFERENCE["kib_per_small_document"], 2)
    return rows


def print_table(results: dict[str, dict[str, Any]], summary: dict[str, dict[str, Any]],
                ratios: dict[str, Any], args: argparse.Namespace) -> None:
    header = (f"{'server':<9} {'scenario':<12} {'clients':>7} {'rooms':>5} {'start MiB':>9} "
              f"{'base MiB':>8} {'loaded MiB':>10} {'delta MiB':>9} {'KiB/room':>8} {'KiB/conn':>8} "
              f"{'idle cpu s':>10} {'conn/s':>7} {'synced':>6} {'lost':>5}")
    print()
    print(header)
    print("-" * len(header))
    for which, scenarios in results.items():
        for name, m in scenarios.items():
            if "error" in m:
                print(f"{which:<9} {name:<12} error: {m['error'][:90]}")
                continue
            print(f"{which:<9} {name:<12} {cell(m['clients_connected'], 7)} {cell(m['rooms'], 5)} "
                  f"{cell(m['start']['rss_kib'] / 1024, 9)} {cell(m['base']['rss_kib'] / 1024, 8)} "
                  f"{cell(m['loaded']['rss_kib'] / 1024, 10)} {cell(m['rss_delta_kib'] / 1024, 9)} "
                  f"{cell(m.get('kib_per_room'), 8)} {cell(m.get('kib_per_connection'), 8)} "
                  f"{cell(m['idle']['server_cpu_s'], 10, 2)} {cell(m['connects_per_s'], 7, 0)} "
                  f"{cell(m['clients_with_storyboard'], 6)} "
                  f"{cell((m.get('receipts') or {}).get('lost'), 5)}")
    print()
    for which, s in summary.items():
        print(f"{which:<9} base {s['base_rss_mib']} MiB, {s['kib_per_room']} KiB per room, "
              f"{s['kib_per_connection']} KiB per connection, idle CPU "
              f"{s['idle_cpu_s_with_all_connections']} s in {s['idle_cpu_window_s']} s "
              f"with {args.connections} connections; receipts {s['receipts']}; "
              f"{s['server_fds_per_connection']} server fds and {s['valkey_connections_per_connection']} "
              f"Valkey connections per connection")
    for label, value in ratios.items():
        print(f"  {label}: {value}")
    print(f"reference: {REFERENCE['name']}: ~{REFERENCE['kib_per_small_document']} kb per small document")


if __name__ == "__main__":
    main()
