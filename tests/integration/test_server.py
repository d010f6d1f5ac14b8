"""``bastion serve`` as a real process: HTTP on a free port, bad input, a decision log, shutdown."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
BASTION = Path(sys.executable).parent / "bastion"
REQUEST = (ROOT / "examples" / "requests" / "election.json").read_bytes()
GUARD = {"Authorization": "Bearer bst_example-guard-client", "Content-Type": "application/json"}
AUDITOR = {"Authorization": "Bearer bst_example-auditor"}
LIMIT = 8 * 1024 * 1024
pytestmark = pytest.mark.integration


def _read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or a reset)."""
    answer = b""
    try:
        while data := sock.recv(65_536):
            answer += data
    except OSError:
        pass  # a reset after the answer: the server closed with our bytes unread
    return answer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """A running ``bastion serve`` and a way to call it."""

    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("trace") / "log"
    port = _free_port()
    env = os.environ | {
        "BASTION_TRACE__DIRECTORY": str(log),
        "BASTION_TRACE__HMAC_KEY": "integration-test-hmac-key-32-bytes",
        "BASTION_LIMITS__MAX_BODY_BYTES": str(LIMIT),
    }
    process = subprocess.Popen(
        [str(BASTION), "serve", "--config", "examples/server.yaml", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Served(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if server.call("GET", "/readyz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("bastion serve did not become ready")
    yield server
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stdout is not None and not process.stdout.closed:
        process.stdout.close()


def test_guard_over_http(served: Served) -> None:
    status, body = served.call("POST", "/v1/guard", REQUEST, GUARD)
    assert status == 200, body
    assert json.loads(body)["slate"] == ["v2", "v4", "v5", "v7"]
    assert served.call("POST", "/v1/guard", REQUEST)[0] == 401
    assert served.call("GET", "/healthz")[0] == 200
    status, metrics = served.call("GET", "/metrics")
    assert status == 200 and b'bastion_guard_decisions_total{action="demote"}' in metrics


def test_bad_input_gets_4xx_and_the_server_stays_up(served: Served) -> None:
    status, body = served.call("POST", "/v1/guard", b'{"request_id": 1}', GUARD)
    assert status == 422 and b"request.request_id" in body
    assert served.call("POST", "/v1/guard", b"not json", GUARD)[0] == 400
    many = json.dumps(
        {
            "request_id": "big",
            "slate_size": 10,
            "candidates": [{"item_id": f"item-{k:08d}", "score": 0.5} for k in range(100_000)],
        }
    ).encode()
    status, body = served.call("POST", "/v1/guard", many, GUARD)
    assert status == 413 and b"100000 candidates; this server takes at most 10000" in body
    assert served.call("POST", "/v1/guard", REQUEST, GUARD)[0] == 200


def test_a_50_mb_body_is_refused_without_being_read(served: Served) -> None:
    rss = psutil.Process(served.process.pid).memory_info().rss
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/guard HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {GUARD['Authorization']}\r\n".encode()
            + f"Content-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
            + b" " * 65_536
        )
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert f"over the limit of {LIMIT} bytes".encode() in answer
    assert psutil.Process(served.process.pid).memory_info().rss - rss < 20 * 1024 * 1024
    assert served.call("POST", "/v1/guard", REQUEST, GUARD)[0] == 200


def _kernel_socket_buffers() -> int:
    """The most bytes the kernel may hold for one local TCP connection (receive + send)."""
    largest = 0
    for name in ("tcp_rmem", "tcp_wmem"):
        try:
            largest += int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[2])
        except (OSError, IndexError, ValueError):
            largest += 32 * 1024 * 1024
    return largest


def test_a_huge_chunked_body_is_cut_off(served: Served) -> None:
    process = psutil.Process(served.process.pid)
    rss = process.memory_info().rss
    # What the kernel buffers is beyond the server's control; the body is larger than
    # the limit plus those buffers, so a server that kept reading would take all of it.
    buffered = _kernel_socket_buffers() + 2 * 1024 * 1024
    total = LIMIT + buffered + 16 * 1024 * 1024
    sent = 0
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    sock.sendall(
        b"POST /v1/guard HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + f"Authorization: {GUARD['Authorization']}\r\n\r\n".encode()
    )
    chunk = b"10000\r\n" + b" " * 65_536 + b"\r\n"

    def send() -> None:
        nonlocal sent
        try:
            for _ in range(total // 65_536):
                sock.sendall(chunk)
                sent += 65_536
        except OSError:
            pass  # the server answered and closed the connection

    sender = threading.Thread(target=send)
    sender.start()
    answer = _read_answer(sock)
    sender.join(30)
    sock.close()
    assert not answer or answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # The server stops reading at the limit and closes; what was sent beyond it sat in
    # kernel socket buffers, never in the server.
    assert sent < LIMIT + buffered, f"{sent} bytes were taken of a {total}-byte body"
    assert process.memory_info().rss - rss < 20 * 1024 * 1024
    assert served.call("POST", "/v1/guard", REQUEST, GUARD)[0] == 200


def test_decisions_are_traced(served: Served) -> None:
    body = json.loads(REQUEST) | {"request_id": "integration-trace"}
    assert served.call("POST", "/v1/guard", json.dumps(body).encode(), GUARD)[0] == 200
    deadline = time.monotonic() + 10
    status, answer = 0, b""
    while time.monotonic() < deadline:
        status, answer = served.call("GET", "/v1/trace/integration-trace?item_id=v1", None, AUDITOR)
        if status == 200:
            break
        time.sleep(0.1)
    assert status == 200, answer
    explained = json.loads(answer)
    assert explained["request_id"] == "integration-trace"
    assert [item["item_id"] for item in explained["items"]] == ["v1"]


def test_sigterm_shuts_down_cleanly(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    output, _ = served.process.communicate(timeout=30)
    # uvicorn re-raises the signal once shut down, so the exit status says SIGTERM.
    assert served.process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert list((served.log / "segments").iterdir()), "closing the writer seals the open segment"
