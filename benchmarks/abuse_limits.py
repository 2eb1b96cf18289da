"""What one hostile client can cost (issue 13), section by section; one result file.

- memory: the peak resident memory of the web process (a real uvicorn serving core.asgi, as
  `make up` runs it) above its idle size while it answers each hostile upload, and legitimate
  ones as large as the caps allow, against small legitimate verifications (the baseline).
  Target: under 300 MB above idle for every one. The ffmpeg processes a request starts are
  measured apart (each is bounded by FFMPEG_MEMORY_BYTES).

- throttles: requests sent as fast as one client can to each throttled route (anonymous API,
  verify, sign-up, password reset, log-in failures, guessed bearer tokens, websocket handshakes)
  with the production rates: how many were refused, from which one on.
- webhooks: how long a render waits when the previous job's deliveries go to receivers that
  trickle their answer's headers (a byte every 0.5 s). Target: not at all. Baseline: the deliveries on the
  render worker's own queues, as before they had a queue and worker of their own. Medians of
  five renders alone and of three behind such deliveries.

Each section is a function taking the shared set-up (`Bench`) and returning a `Section`; main() runs them
and writes benchmarks/results/abuse_limits.json with each section's figures under its name.

Run: .venv/bin/python benchmarks/abuse_limits.py
"""

import http.client
import io
import itertools
import re
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
from _harness import django_environment, write_result

MB = 1024 * 1024
TARGET_MB = 300  # the most one request may add to the web process (issue 13)
SAMPLE_S = 0.002


@dataclass
class Server:
    url: str
    pid: int
    token: str  # a bearer token that may register works


@dataclass
class Section:
    workload: dict[str, Any]
    metrics: dict[str, Any]
    baseline: dict[str, Any] = field(default_factory=dict)
    ratios: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # the printed table


# --- measuring a process's memory ---------------------------------------------------------------


class PeakMemory:
    """Samples a process's resident memory (and, apart, its children's) until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.children_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            children = 0
            for child in self.process.children(recursive=True):
                with suppress(psutil.NoSuchProcess):
                    children += child.memory_info().rss
            self.children_peak = max(self.children_peak, children)
            time.sleep(SAMPLE_S)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.05)  # a last few samples after the answer
        self._stop.set()
        self._thread.join()


def idle_rss(pid: int, seconds: float = 1.0) -> int:
    """The process's resident memory at rest (the lowest of a second's samples)."""
    process, lowest, deadline = psutil.Process(pid), None, time.monotonic() + seconds
    while time.monotonic() < deadline:
        rss = process.memory_info().rss
        lowest = rss if lowest is None else min(lowest, rss)
        time.sleep(0.01)
    assert lowest is not None
    return lowest


# --- requests -----------------------------------------------------------------------------------


def post_file(server: Server, path: str, name: str, data: bytes, **fields: str) -> int:
    headers = {"Authorization": f"Bearer {server.token}"} if path == "/api/v1/works" else {}
    response = httpx.post(server.url + path, files={"file": (name, data, "application/octet-stream")},
                          data=fields, headers=headers, timeout=300)
    return response.status_code


def raw_post(server: Server, path: str, head: dict[str, str], body: Iterator[bytes]) -> int:
    """A POST whose head and body are sent as given (a false Content-Length, a chunked stream);
    the answer is read while sending, and sending stops when the server closes."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=120)
    answer: dict[str, int] = {}

    def read() -> None:
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            answer["status"] = response.status
            response.read()
        except OSError:
            answer["status"] = -1

    reader = threading.Thread(target=read, daemon=True)
    lines = "".join(f"{key}: {value}\r\n" for key, value in head.items())
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{lines}\r\n".encode())
    reader.start()
    try:
        for chunk in body:
            if not reader.is_alive():
                break
            sock.sendall(chunk)
    except OSError:
        pass
    reader.join(timeout=120)
    sock.close()
    return answer.get("status", -1)


def chunked(total: int, first: bytes) -> Iterator[bytes]:
    size, sent = 64 * 1024, 0
    piece = first + b"\0" * (size - len(first))
    while sent < total:
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
        sent += len(piece)
        piece = b"\0" * size
    yield b"0\r\n\r\n"


# --- sections -------------------------------------------------------------------------------------


def largest_picture() -> bytes:
    """A PNG at the pixel limit (IMAGE_MAX_PIXELS, 40 MP by default): 7,300 x 5,470 in colour
    (gradients: a few MB)."""
    import numpy as np
    from PIL import Image

    width, height = 7_300, 5_470
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.stack([np.tile(ramp, (height, 1)), np.tile(ramp[::-1], (height, 1)),
                       np.full((height, width), 90, np.uint8)], axis=2)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def largest_video(megabytes: int) -> bytes:
    """A real 1080p H.264 video of at most `megabytes`: lossless frames of noise (4.3 MB each)."""
    from tests.abuse.bad_files import ffmpeg_made

    frames = max(1, megabytes * 1024 * 1024 // 4_400_000)
    return ffmpeg_made("-f", "lavfi", "-i", "color=c=gray:size=1920x1080:rate=24",
                       "-vf", "noise=alls=100:allf=t", "-frames:v", str(frames), "-c:v", "libx264",
                       "-preset", "ultrafast", "-qp", "0",
                       "-pix_fmt", "yuv420p", suffix=".mp4")


def memory_section(bench: "Bench") -> Section:
    from django.conf import settings
    from django.test.client import BOUNDARY, MULTIPART_CONTENT

    from tests.abuse.bad_files import huge_frame_mp4, png_claiming, png_of_zeros, png_picture, small_mp4

    start = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
             "Content-Type: application/octet-stream\r\n\r\n").encode()
    bomb, huge = png_of_zeros(13_000, 13_000), huge_frame_mp4()
    palette = png_of_zeros(20_000, 20_000, palette=True)
    work = {"title": "Mine", "licence": "cc-by-4.0"}
    cases: dict[str, Callable[[Server], int]] = {
        f"png 13000x13000 ({len(bomb) // 1024} KB) -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "bomb.png", bomb),
        f"png 13000x13000 ({len(bomb) // 1024} KB) -> /api/v1/works": lambda server: post_file(
            server, "/api/v1/works", "bomb.png", bomb, **work),
        "png claiming 20000x20000 -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "claim.png", png_claiming(20_000, 20_000)),
        f"palette bomb 20000x20000 ({len(palette) // 1024} KB) -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "palette.png", palette),
        f"mp4 of 8192x8192 frames ({len(huge) // 1024} KB) -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "huge.mp4", huge),
        f"mp4 of 8192x8192 frames ({len(huge) // 1024} KB) -> /api/v1/works": lambda server: post_file(
            server, "/api/v1/works", "huge.mp4", huge, **work),
        "Content-Length 10 GB -> /api/v1/verify": lambda server: raw_post(
            server, "/api/v1/verify", {"Content-Type": MULTIPART_CONTENT,
                                       "Content-Length": str(10 * 1024**3)}, iter([start + b"\0" * MB])),
        "chunked 1 GB -> /api/v1/verify": lambda server: raw_post(
            server, "/api/v1/verify", {"Content-Type": MULTIPART_CONTENT, "Transfer-Encoding": "chunked"},
            chunked(1024**3, start)),
    }
    picture = largest_picture()
    video, work_video = largest_video(settings.VERIFY_MAX_BYTES // MB - 2), largest_video(
        settings.WORK_MAX_BYTES // MB - 5)
    limits: dict[str, Callable[[Server], int]] = {  # legitimate, and as large as the caps allow
        "png of 40 MP -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "large.png", picture),
        "png of 40 MP -> /api/v1/works": lambda server: post_file(
            server, "/api/v1/works", "large.png", picture, **work),
        f"1080p mp4 ({len(video) // MB} MB) -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "large.mp4", video),
        f"1080p mp4 ({len(work_video) // MB} MB) -> /api/v1/works": lambda server: post_file(
            server, "/api/v1/works", "large.mp4", work_video, **work),
    }
    small_png, small_video = png_picture(5), small_mp4()
    baseline_cases: dict[str, Callable[[Server], int]] = {
        "png 64x48 -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "ok.png", small_png),
        "mp4 96x64, 2 s -> /api/v1/verify": lambda server: post_file(
            server, "/api/v1/verify", "ok.mp4", small_video),
    }
    idles: list[float] = []
    seeds = itertools.count(100)

    def measure(run: Callable[[Server], int]) -> dict[str, Any]:
        """On a fresh server (what an earlier request left in its heap counts for none), warmed
        up by the baseline's requests (the imports and caches a first request loads)."""
        with bench.server() as server:
            for warm in baseline_cases.values():
                warm(server)
            # (the first registration in a process also loads the platform's signing key: its
            # keystore's scrypt takes 256 MB once, whatever is uploaded)
            post_file(server, "/api/v1/works", "warm.png", png_picture(next(seeds)), **work)
            idle = idle_rss(server.pid)
            idles.append(idle / MB)
            started = time.perf_counter()
            with PeakMemory(server.pid) as peak:
                status = run(server)
        return {"status": status, "seconds": round(time.perf_counter() - started, 3),
                "idle_mb": round(idle / MB, 1), "peak_mb": round(peak.peak / MB, 1),
                "peak_above_idle_mb": round((peak.peak - idle) / MB, 1),
                "children_peak_mb": round(peak.children_peak / MB, 1)}

    hostile = {name: measure(run) for name, run in cases.items()}
    at_limits = {name: measure(run) for name, run in limits.items()}
    baseline = {name: measure(run) for name, run in baseline_cases.items()}
    worst = max(m["peak_above_idle_mb"] for m in [*hostile.values(), *at_limits.values()])
    base = max(max(m["peak_above_idle_mb"] for m in baseline.values()), 0.1)
    ratios = {"worst peak above idle / baseline's": round(worst / base, 2),
              "worst peak above idle / target": round(worst / TARGET_MB, 3)}
    lines = [f"web process idle: {min(idles):.0f} to {max(idles):.0f} MB (a fresh one per request); "
             f"target: under {TARGET_MB} MB above idle",
             f"{'request':<58} {'status':>6} {'s':>7} {'peak':>8} {'+idle':>8} {'ffmpeg':>8}"]
    rows = [*hostile.items(), *(("at the caps: " + k, v) for k, v in at_limits.items()),
            *(("baseline: " + k, v) for k, v in baseline.items())]
    for name, m in rows:
        lines.append(f"{name:<58} {m['status']:>6} {m['seconds']:>7.2f} {m['peak_mb']:>6.0f}MB "
                     f"{m['peak_above_idle_mb']:>6.0f}MB {m['children_peak_mb']:>6.0f}MB")
    lines.append(f"worst: {worst:.0f} MB above idle ({'met' if worst < TARGET_MB else 'NOT met'})")
    return Section(
        workload={"server": "uvicorn core.asgi:application, one process, a fresh one per request",
                  "sample_every_s": SAMPLE_S,
                  "target_mb_above_idle": TARGET_MB,
                  "hostile": list(cases), "at_the_caps": list(limits), "baseline_cases": list(baseline_cases),
                  "caps": {name: getattr(settings, name) for name in (
                      "VERIFY_MAX_BYTES", "WORK_MAX_BYTES", "IMAGE_MAX_PIXELS", "VIDEO_MAX_PIXELS",
                      "VIDEO_MAX_SECONDS", "FFMPEG_MEMORY_BYTES")}},
        metrics={"hostile": hostile, "at_the_caps": at_limits, "worst_peak_above_idle_mb": worst,
                 "target_met": worst < TARGET_MB},
        baseline=baseline, ratios=ratios, lines=lines)


# --- throttles: what each limit refuses ---------------------------------------------------------


def _csrf_form(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, f"no form on {path}"
    return match.group(1)


def _ws_handshake(server: Server, path: str) -> int:
    """The HTTP status of a websocket handshake (101 when accepted)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        return int(sock.recv(4096).split(b" ", 2)[1])


def _form_post(client: httpx.Client, server: Server, path: str, fields: dict[str, str]) -> int:
    fields = {**fields, "csrfmiddlewaretoken": _csrf_form(client, path)}
    return client.post(path, data=fields, headers={"Referer": server.url}).status_code


Send = Callable[[httpx.Client, Server, int], int]
THROTTLED: dict[str, tuple[int, Send]] = {  # what is sent, how many times
    "anonymous API (GET /api/v1/gallery/feed)": (
        100, lambda c, s, n: c.get("/api/v1/gallery/feed").status_code),
    "verify API (POST /api/v1/verify)": (
        40, lambda c, s, n: c.post("/api/v1/verify", json={"query": "0" * 64}).status_code),
    "sign-up API (POST /api/v1/auth/signup)": (
        20, lambda c, s, n: c.post("/api/v1/auth/signup", json={
            "username": f"new{n}", "email": f"new{n}@example.org",
            "password": "a-long-password-1"}).status_code),
    "password reset page": (
        10, lambda c, s, n: _form_post(c, s, "/accounts/password/reset/", {"email": "bench@example.com"})),
    "log-in with a wrong password": (
        10, lambda c, s, n: _form_post(c, s, "/accounts/login/", {"username": "bench",
                                                                   "password": f"wrong{n}"})),
    "guessed bearer tokens (GET /api/v1/profile)": (
        60, lambda c, s, n: c.get("/api/v1/profile",
                                  headers={"Authorization": f"Bearer slm_{n}"}).status_code),
    "websocket handshakes (/ws/projects/1/events)": (
        700, lambda c, s, n: _ws_handshake(s, "/ws/projects/1/events")),
}


def _forget_counts() -> None:
    """Empty every throttle's counts (this run's cache keys only): each route starts afresh, not
    after the anonymous requests the route before it spent."""
    import redis
    from django.conf import settings

    from kernel.redis_urls import for_redis_py

    client = redis.Redis.from_url(for_redis_py(settings.REDIS_URL))
    for key in client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000):
        client.delete(key)
    client.close()


def throttles_section(bench: "Bench") -> Section:
    """Requests sent as fast as one client can to each throttled route, with the production
    rates; what was answered and from which request on it was refused (429)."""
    rates = {"THROTTLE_ANON": "60/min", "THROTTLE_VERIFY": "20/min", "THROTTLE_SIGNUP": "10/hour",
             "THROTTLE_PASSWORD_RESET": "5/hour", "THROTTLE_BAD_TOKEN": "30/min", "AXES_ENABLED": "true",
             "LOGIN_FAILURE_LIMIT": "5", "WS_CONNECTS_PER_MINUTE_ADDRESS": "600"}
    results: dict[str, dict[str, Any]] = {}
    lines = [f"{'route':<48} {'sent':>5} {'refused':>8} {'first refused':>14} {'s':>6}"]
    with bench.server(**rates) as server:
        for name, (count, send) in THROTTLED.items():
            _forget_counts()
            started = time.perf_counter()
            with httpx.Client(base_url=server.url, timeout=30) as client:
                statuses = [send(client, server, n) for n in range(count)]
            refused = [n for n, status in enumerate(statuses, 1) if status == 429]
            first = refused[0] if refused else None
            results[name] = {"sent": count, "refused": len(refused), "first_refused": first,
                             "answers": dict(sorted(Counter(statuses).items())),
                             "seconds": round(time.perf_counter() - started, 2)}
            lines.append(f"{name:<48} {count:>5} {len(refused):>8} {first or '-':>14} "
                         f"{results[name]['seconds']:>6}")
    return Section(workload={"rates": rates, "sent": {name: count for name, (count, _) in THROTTLED.items()}},
                   metrics=results, lines=lines)


# --- a slow webhook receiver against a render ---------------------------------------------------


class TricklingReceiver:
    """A webhook receiver that answers one byte every half second, never finishing its headers
    (five minutes at most)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.opened = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.recv(65536)
            self.opened.set()
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(600):
                conn.sendall(b"x")
                time.sleep(0.5)

    def close(self) -> None:
        self.server.close()


def webhooks_section(bench: "Bench") -> Section:
    """How long a render waits behind deliveries to a receiver that trickles its answer: the
    render is submitted once the deliveries of the previous job have reached the receiver. Ours:
    `make up`'s arrangement (webhooks on a worker of their own); baseline: the deliveries on the
    render worker's queues, as before (one worker child)."""
    import tempfile
    from pathlib import Path

    from generation.models import FINISHED, Job, JobStatus, Webhook
    from generation.services import job_submit
    from generation.webhooks import webhook_create
    from projects.services import project_create
    from tests.servers import CeleryWorker

    user = bench.user
    project = project_create(user=user, name="Webhooks")
    params: dict[str, Any] = {"kind": "image", "preset": "tiny-pixart", "prompt": "a lighthouse",
                              "width": 128, "height": 128, "steps": 4, "seed": 1}
    tmp = Path(tempfile.mkdtemp())

    def render() -> float:
        job = job_submit(project=project, user=user, **params)
        while Job.objects.values_list("status", flat=True).get(pk=job.pk) not in FINISHED:
            time.sleep(0.05)
        job.refresh_from_db()
        assert job.status == JobStatus.SUCCEEDED and job.finished_at, job.error
        return (job.finished_at - job.created_at).total_seconds()

    def scenario(queues: list[str]) -> dict[str, float]:
        workers = [CeleryWorker.start(tmp / f"worker-{n}.log", queues=q) for n, q in enumerate(queues)]
        try:
            Webhook.objects.filter(user=user).delete()
            render()  # warm-up: the worker loads the pipeline
            alone = statistics.median(render() for _ in range(5))
            receiver = TricklingReceiver()
            for _ in range(2):
                webhook_create(user=user, url=receiver.url)
            try:
                behinds = []
                for _ in range(3):
                    receiver.opened.clear()
                    render()  # its deliveries go to the trickling receiver...
                    receiver.opened.wait(30)
                    behinds.append(render())  # ...while this one is asked for
                behind = statistics.median(behinds)
            finally:
                receiver.close()
                Webhook.objects.filter(user=user).delete()
        finally:
            for worker in workers:
                worker.stop()
        return {"render_alone_s": round(alone, 3), "render_behind_slow_webhooks_s": round(behind, 3),
                "delay_s": round(max(0.0, behind - alone), 3)}

    ours = scenario(["gpu,default,chain", "webhooks"])
    shared = scenario(["gpu,default,chain,webhooks"])
    from django.conf import settings
    lines = [f"render alone / behind two slow receivers: ours {ours['render_alone_s']} / "
             f"{ours['render_behind_slow_webhooks_s']} s (delay {ours['delay_s']} s); deliveries on the "
             f"render worker: {shared['render_alone_s']} / {shared['render_behind_slow_webhooks_s']} s "
             f"(delay {shared['delay_s']} s); WEBHOOK_DEADLINE_S {settings.WEBHOOK_DEADLINE_S}"]
    return Section(workload={"render": params, "receiver": "a header sent 1 byte every 0.5 s, never ended",
                             "webhooks": 2, "ours": "webhooks queue on its own worker",
                             "baseline": "webhooks on the render worker's queues (one child)"},
                   metrics=ours, baseline=shared,
                   ratios={"delay ours - baseline (s)": round(ours["delay_s"] - shared["delay_s"], 3)},
                   lines=lines)


SECTIONS: dict[str, Callable[["Bench"], Section]] = {
    "throttles": throttles_section,  # first: later sections' requests count in the same buckets
    "webhooks": webhooks_section,
    "memory": memory_section,
}


# --- the servers and main ---------------------------------------------------------------------------


@dataclass
class Bench:
    """What sections share: the benchmark's database (with a user and its token) and Valkey."""

    token: str  # a bearer token of that user that may register works
    user: Any  # that user (a pro plan: room for the renders of the webhook section)

    @contextmanager
    def server(self, **env: str) -> Iterator[Server]:
        """A fresh uvicorn serving core.asgi (`make up`'s web process) on them; `env` adds to its
        environment (settings). Throttles are out of the way unless `env` sets them."""
        from tests.servers import AsgiServer

        limits = {"THROTTLE_ANON": "100000/min", "THROTTLE_USER": "100000/min",
                  "THROTTLE_VERIFY": "100000/min"}
        process = AsgiServer.start(None, **{**limits, **env})
        try:
            yield Server(process.url, process.process.pid, self.token)
        finally:
            process.stop()


def bench_setup() -> Bench:
    from accounts.services import token_create, user_signup

    user = user_signup(username="bench", email="bench@example.com", password="a-long-bench-password")
    user.plan = "pro"
    user.save(update_fields=["plan"])
    _, token = token_create(user=user, name="bench", scopes=["read", "write", "rights"])
    return Bench(token=token, user=user)


def main() -> None:
    with django_environment():
        bench = bench_setup()
        results = {}
        for name, section in SECTIONS.items():
            results[name] = section(bench)
            print(f"\n== {name} ==")
            print("\n".join(results[name].lines))
        write_result("abuse_limits", {name: s.workload for name, s in results.items()},
                     {name: s.metrics for name, s in results.items()},
                     "legitimate requests of the same kind (each section says which)",
                     {name: s.baseline for name, s in results.items()},
                     {name: s.ratios for name, s in results.items()})


if __name__ == "__main__":
    main()
