"""The protocol rules of the LSP specification, checked on the real `luakit-ls --stdio` at the byte level.

A well-behaved client never sends most of what this module sends (malformed JSON, params of the
wrong shape, requests before `initialize` or after `shutdown`), so no LSP client library would:
the minimal framing client below writes the bytes itself and reads back every message the
server sends. Each case checks the error code the specification names, and that the server
still answers a normal request afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

SERVER = [sys.executable, "-m", "luakit_ls.server", "--stdio"]
TIMEOUT = 15.0

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002

SCRIPT_URI = "file:///tmp/protocol-rules/build.lua"
SCRIPT = 'local base = bk.image("alpine:3.19")\nbk.export(base)\n'


class Wire:
    """One `luakit-ls` process, spoken to in raw LSP frames: what a strict client sees."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        self.process = subprocess.Popen(SERVER, env=env, **pipes)  # type: ignore[call-overload]
        self.messages: list[dict[str, Any]] = []
        self.stderr = b""
        self._arrived = threading.Condition()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                header = stdout.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None, "a frame without Content-Length"
            message = json.loads(stdout.read(length))
            with self._arrived:
                self.messages.append(message)
                self._arrived.notify_all()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    # ------------------------------------------------------------ sending

    def send_bytes(self, body: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def request(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self._next_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method} if params is None else {"method": method, "params": params})

    # ------------------------------------------------------------ receiving

    def wait_for(self, matches: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if matches(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no such message within {timeout}s; got {self.messages}; stderr: {self.stderr.decode()[-2000:]}"
                    )
                self._arrived.wait(left)

    def response(self, msg_id: int | None) -> dict[str, Any]:
        """The response to `msg_id` (None: a response with `id: null`)."""
        return self.wait_for(lambda m: "method" not in m and "id" in m and m["id"] == msg_id)

    def error_code(self, msg_id: int | None) -> int:
        answer = self.response(msg_id)
        assert "error" in answer, f"expected an error response, got {answer}"
        assert "result" not in answer
        return int(answer["error"]["code"])

    def popups(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("method") == "window/showMessage"]

    # ------------------------------------------------------------ the session

    def initialize(self) -> dict[str, Any]:
        answer = self.response(self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}}))
        assert "result" in answer, answer
        self.notify("initialized", {})
        return answer

    def open_script(self) -> None:
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": SCRIPT_URI, "languageId": "lua", "version": 1, "text": SCRIPT}},
        )

    def answers_normally(self) -> None:
        """A normal request still gets its normal answer."""
        answer = self.response(
            self.request(
                "textDocument/documentSymbol",
                {"textDocument": {"uri": SCRIPT_URI}},
            )
        )
        assert "result" in answer, answer
        assert answer["result"], answer  # the script has symbols

    def exit_code(self, timeout: float = TIMEOUT) -> int:
        code = self.process.wait(timeout)
        self._stderr_reader.join(timeout)  # all of stderr is read
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def wire() -> Iterator[Wire]:
    client = Wire()
    yield client
    client.close()


@pytest.fixture
def session(wire: Wire) -> Wire:
    """A server past `initialize`, with the script open."""
    wire.initialize()
    wire.open_script()
    return wire


def test_invalid_params_get_an_invalid_params_response(session: Wire) -> None:
    msg_id = session.request("textDocument/hover", {"textDocument": {"uri": SCRIPT_URI}, "position": "here"})
    assert session.error_code(msg_id) == INVALID_PARAMS
    assert session.popups() == []
    session.answers_normally()


def test_a_notification_with_invalid_params_is_dropped(session: Wire) -> None:
    session.notify("textDocument/didChange", {"textDocument": 7})
    session.answers_normally()
    assert session.popups() == []


def test_a_request_before_initialize_gets_server_not_initialized(wire: Wire) -> None:
    msg_id = wire.request("textDocument/documentSymbol", {"textDocument": {"uri": SCRIPT_URI}})
    answer = wire.response(msg_id)
    assert answer["error"]["code"] == SERVER_NOT_INITIALIZED
    assert "Traceback" not in json.dumps(answer)
    # Notifications before `initialize` are dropped: this open is forgotten.
    wire.open_script()
    wire.initialize()
    symbols = wire.response(wire.request("textDocument/documentSymbol", {"textDocument": {"uri": SCRIPT_URI}}))
    assert "error" in symbols, "a document opened before initialize must not be known"
    wire.open_script()
    wire.answers_normally()


def test_a_request_after_shutdown_gets_invalid_request(session: Wire) -> None:
    assert "result" in session.response(session.request("shutdown"))
    msg_id = session.request("textDocument/documentSymbol", {"textDocument": {"uri": SCRIPT_URI}})
    assert session.error_code(msg_id) == INVALID_REQUEST
    session.notify("exit")
    assert session.exit_code() == 0


def test_exit_without_shutdown_exits_1(session: Wire) -> None:
    session.answers_normally()
    session.notify("exit")
    assert session.exit_code() == 1


def test_exit_before_initialize_exits_1(wire: Wire) -> None:
    wire.notify("exit")
    assert wire.exit_code() == 1


def test_exit_after_shutdown_exits_0(session: Wire) -> None:
    assert "result" in session.response(session.request("shutdown"))
    session.notify("exit")
    assert session.exit_code() == 0


def test_malformed_json_gets_a_parse_error_with_id_null(session: Wire) -> None:
    session.send_bytes(b'{"jsonrpc": "2.0", "id": 99, "method": "textDocument/hover", "params": {')
    assert session.error_code(None) == PARSE_ERROR
    assert session.popups() == []
    session.answers_normally()


def test_json_that_is_not_a_message_gets_invalid_request(session: Wire) -> None:
    session.send_bytes(b"[1, 2, 3]")
    assert session.error_code(None) == INVALID_REQUEST
    session.answers_normally()


def test_a_second_initialize_is_refused_and_the_session_goes_on(session: Wire) -> None:
    session.answers_normally()
    msg_id = session.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    assert session.error_code(msg_id) == INVALID_REQUEST
    session.answers_normally()


def test_an_unknown_request_method_gets_method_not_found(session: Wire) -> None:
    msg_id = session.request("luakit/noSuchMethod", {})
    assert session.error_code(msg_id) == METHOD_NOT_FOUND
    msg_id = session.request("$/noSuchRequest", {})
    assert session.error_code(msg_id) == METHOD_NOT_FOUND
    session.answers_normally()


def test_unknown_dollar_notifications_are_ignored_silently(session: Wire) -> None:
    session.notify("$/noSuchNotification", {"x": 1})
    session.notify("$/cancelRequest", {"id": 12345})  # a request that is long answered
    session.answers_normally()
    assert session.popups() == []
    session.notify("exit")
    session.exit_code()
    assert b"noSuchNotification" not in session.stderr, session.stderr.decode()
    assert b"Cancel notification" not in session.stderr, session.stderr.decode()
