"""A Hugging Face Hub on 127.0.0.1 for the model manager's tests: the routes the installed
huggingface_hub's `snapshot_download` calls (read from its source, not guessed):

    GET  /api/models/<repo>/revision/<rev>       repo_info (the commit sha)
    GET  /api/models/<repo>/tree/<rev>?recursive  list_repo_tree (files, sizes; no Link: one page)
    HEAD /<repo>/resolve/<rev>/<path>             X-Repo-Commit, ETag, Content-Length
    GET  /<repo>/resolve/<rev>/<path>             the bytes

`huggingface_hub.constants.ENDPOINT` and the URL template it builds file URLs from are pointed
here for the test (as HF_ENDPOINT would at import), and connections anywhere but the loopback are
refused: no test reaches the internet.
"""

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

COMMIT = "a" * 40


@dataclass
class Repo:
    files: dict[str, bytes]
    refuse: set[str] = field(default_factory=set)  # paths whose download is refused (403)
    # path -> (bytes sent first, event): the rest of the file waits for the event
    hold: dict[str, tuple[int, threading.Event]] = field(default_factory=dict)


@dataclass
class Hub:
    url: str
    repos: dict[str, Repo]
    requests: list[str]

    def add_folder(self, repo_id: str, folder: Path, **extra: bytes) -> Repo:
        """A repo with the files of `folder` (a diffusers pipeline directory) and `extra` ones."""
        files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        repo = self.repos[repo_id] = Repo({**files, **extra})
        return repo


def _handler(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(data).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                                **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _not_found(self) -> None:
            self._json({"error": "Repository not found"}, 404, {"X-Error-Code": "RepoNotFound"})

        def _route(self) -> tuple[str, Repo | None, str, str] | None:
            path = unquote(urlsplit(self.path).path)
            hub.requests.append(f"{self.command} {path}")
            for repo_id, repo in hub.repos.items():
                for kind, prefix in (("info", f"/api/models/{repo_id}/revision/"),
                                     ("tree", f"/api/models/{repo_id}/tree/"),
                                     ("file", f"/{repo_id}/resolve/")):
                    if path.startswith(prefix):
                        rev, _, rest = path[len(prefix):].partition("/")
                        return kind, repo, rev, rest
            return None

        def do_GET(self) -> None:
            route = self._route()
            if route is None:
                return self._not_found()
            kind, repo, _rev, rest = route
            assert repo is not None
            if kind == "info":
                siblings = [{"rfilename": p} for p in repo.files]
                return self._json({"id": "x", "sha": COMMIT, "siblings": siblings})
            if kind == "tree":
                return self._json([{"type": "file", "path": p, "size": len(data),
                                    "oid": hashlib.sha1(data).hexdigest()} for p, data in repo.files.items()])
            self._file(repo, rest, body=True)

        def do_HEAD(self) -> None:
            route = self._route()
            if route is None or route[0] != "file":
                return self._not_found()
            assert route[1] is not None
            self._file(route[1], route[3], body=False)

        def _file(self, repo: Repo, path: str, *, body: bool) -> None:
            data = repo.files.get(path)
            if data is None:
                return self._json({"error": "Entry not found"}, 404, {"X-Error-Code": "EntryNotFound",
                                                                       "X-Repo-Commit": COMMIT})
            if body and path in repo.refuse:
                return self._json({"error": "Forbidden"}, 403)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", f'"{hashlib.sha1(data).hexdigest()}"')
            self.send_header("X-Repo-Commit", COMMIT)
            self.end_headers()
            if not body:
                return
            first, event = repo.hold.get(path, (len(data), None))
            self.wfile.write(data[:first])
            self.wfile.flush()
            if event is not None:
                event.wait(60)
            self.wfile.write(data[first:])

    return Handler


def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1",
                                                                                    "localhost"):
            raise ConnectionRefusedError(f"the tests reach no network but the loopback ({address[0]})")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@contextmanager
def hub_serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    from huggingface_hub import constants

    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    hub = Hub(url=f"http://127.0.0.1:{server.server_address[1]}", repos={}, requests=[])
    server.RequestHandlerClass = _handler(hub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _loopback_only(monkeypatch)
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        hub.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    try:
        yield hub
    finally:
        for repo in hub.repos.values():
            for _first, event in repo.hold.values():
                event.set()
        server.shutdown()
        server.server_close()
        thread.join(10)
