"""A local Ethereum node: anvil from the npm package `@foundry-rs/anvil`, run as a child process.

The chain the tests, the gas benchmark and the embedded platform (`make up`) run on. `npm ci` installs
the binary: the npm package is a Node wrapper (`bin.mjs`) whose per-platform optional dependency
(`@foundry-rs/anvil-linux-amd64`, ...) ships the executable in `bin/anvil`. We run that executable
directly, not the wrapper, so SIGINT reaches anvil itself (it saves its state on SIGINT).
"""

import json
import os
import platform
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eth_account import Account

ROOT = Path(__file__).resolve().parents[2]
# anvil's own default; passed explicitly so the keys below are the ones the node funds.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNTS = 10
CHAIN_ID = 31337

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class AnvilError(RuntimeError):
    pass


def anvil_binary() -> Path:
    """The anvil executable: $ANVIL_BIN, or the one `npm ci` put in node_modules for this platform."""
    if os.environ.get("ANVIL_BIN"):
        if not Path(os.environ["ANVIL_BIN"]).exists():
            raise AnvilError(f"ANVIL_BIN={os.environ['ANVIL_BIN']} does not exist")
        return Path(os.environ["ANVIL_BIN"])
    system = platform.system().lower().replace("windows", "win32")
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    name = "anvil.exe" if system == "win32" else "anvil"
    scope = ROOT / "node_modules" / "@foundry-rs"
    candidates = [scope / f"anvil-{system}-{arch}" / "bin" / name,  # the optional per-platform package
                  scope / "anvil" / name]  # where the package's postinstall puts a binary it downloaded
    for path in candidates:
        if path.exists():
            return path
    raise AnvilError(f"anvil is not installed ({candidates[0]} is missing): run `npm ci` (make does it)")


def dev_keys(count: int = DEV_ACCOUNTS) -> list[str]:
    """The private keys of the accounts anvil funds (10,000 ETH each), from DEV_MNEMONIC."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.to_0x_hex()
            for i in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(url: str, method: str, params: Sequence[Any] = (), timeout: float = 5) -> Any:
    """One JSON-RPC call with the standard library (for readiness checks and anvil's own methods)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise AnvilError(f"{method}: {answer['error']}")
    return answer["result"]


def anvil_command(*, port: int, args: Sequence[str] = ()) -> list[str]:
    """The command line of an anvil on 127.0.0.1:`port` funding the development accounts."""
    return [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID),
            "--mnemonic", DEV_MNEMONIC, "--accounts", str(DEV_ACCOUNTS), *args]


def anvil_wait(url: str, *, process: subprocess.Popen, timeout: float = 30) -> None:
    """Returns once the node at `url` answers eth_chainId; AnvilError if it exits or is too slow."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if int(rpc(url, "eth_chainId", timeout=1), 16) == CHAIN_ID:
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AnvilError(f"anvil did not start at {url}")
        time.sleep(0.05)


@dataclass
class Anvil:
    process: subprocess.Popen
    port: int
    log: IO[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, *, port: int | None = None, args: Sequence[str] = (), timeout: float = 30) -> "Anvil":
        """Starts anvil on 127.0.0.1 and returns once it answers eth_chainId. `args` go to anvil as
        they are (e.g. ["--state", "var/anvil.json"])."""
        port = port or free_port()
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        process = subprocess.Popen(anvil_command(port=port, args=args), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        node = cls(process, port, log)
        try:
            anvil_wait(node.url, process=process, timeout=timeout)
        except AnvilError as error:
            output = node.output()
            node.kill()
            raise AnvilError(f"{error}:\n{output[-3000:]}") from None
        return node

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, timeout: float = 10) -> int:
        """SIGINT, as a person's Ctrl-C: anvil saves its state (with --state) and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
