"""The session's gRPC server: HTTP/2 (the `h2` library) over bytes we are handed.

The daemon is a gRPC client inside the Control.Session stream. grpcio's server
cannot take such a stream, and behind a socket it writes every streamed message
on its own (~0.15 ms each: a context listing is 10,000 of them, docs/performance.md).
Here `h2` keeps the HTTP/2 state; gRPC's own framing on top is a 5-byte prefix per
message.

A call's responses are collected and framed together, not one DATA frame each
(h2's framing and the hand-over to the Session stream cost ~30 µs a time under the
profiler, whatever the size): they leave when `_BATCH` bytes are waiting, when the
handler next waits for a request, and when it returns. So a handler may only block on
the daemon by reading its requests, which every servicer here does (anything else it
waits for — a file, the ssh agent — is local and answers by itself).

The services are grpcio's own generated handlers, collected by `MethodTable` from the
`add_*Servicer_to_server` functions; each call runs in its own thread, with a
context offering what our servicers use (`invocation_metadata`, `abort`).
"""

from __future__ import annotations

import contextlib
import queue
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn
from urllib.parse import quote

import grpc
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings

# Large windows both ways: exports and contexts are hundreds of MB.
_WINDOW = 16 * 1024 * 1024
# Responses waiting past this size are sent without waiting for the handler to pause. The
# daemon compares a listing with its copy as the entries arrive: in smaller batches it keeps
# up, and is done soon after the last one (bench/build.py's warm listing: listing plus the
# daemon's tail ~145 ms at 16-64 KiB, ~165 ms at 256 KiB, more at 1 MiB).
_BATCH = 32 * 1024
_END = object()


class MethodTable:
    """Collects grpcio method handlers the way a grpc.Server would (the generated `add_…_to_server`)."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}
        self._generic: list[grpc.GenericRpcHandler] = []

    def add_registered_method_handlers(self, service: str, handlers: dict[str, grpc.RpcMethodHandler]) -> None:
        for name, handler in handlers.items():
            self.handlers[f"/{service}/{name}"] = handler

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._generic.extend(handlers)

    def find(self, path: str) -> grpc.RpcMethodHandler | None:
        if path in self.handlers:
            return self.handlers[path]
        details = _CallDetails(path)
        return next((h for g in self._generic if (h := g.service(details)) is not None), None)

    @property
    def methods(self) -> list[str]:
        return list(self.handlers)


class _CallDetails(grpc.HandlerCallDetails):
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


class _Context:
    """The part of grpc.ServicerContext the session's servicers use."""

    def __init__(self, metadata: list[tuple[str, str]]) -> None:
        self._metadata = metadata

    def invocation_metadata(self) -> list[tuple[str, str]]:
        return self._metadata

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        raise _Abort(code, details)


class _Stream:
    def __init__(self) -> None:
        self.requests: queue.Queue[Any] = queue.Queue()
        self.pending = b""  # request bytes not yet a whole message
        self.unsent = bytearray()  # responses collected by the call's own thread, not yet given to h2
        self.outgoing = bytearray()  # response bytes h2's window has not let out yet
        self.closed = False


class H2Server:
    """One HTTP/2 connection, server side: `feed` it the client's bytes; `send` gets ours."""

    def __init__(self, methods: MethodTable, send: Callable[[bytes], None]) -> None:
        self._methods = methods
        self._send = send
        self._lock = threading.Condition()
        self._conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self._streams: dict[int, _Stream] = {}
        with self._lock:
            self._conn.initiate_connection()
            self._conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: _WINDOW})
            self._conn.increment_flow_control_window(_WINDOW)
            self._flush()

    def feed(self, data: bytes) -> None:
        with self._lock:
            try:
                events = self._conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                self._flush()
                raise
            for event in events:
                self._handle(event)
            self._flush()

    def close(self) -> None:
        with self._lock:
            for stream in self._streams.values():
                stream.closed = True
                stream.requests.put(_END)
            self._lock.notify_all()

    def _handle(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RequestReceived) and event.stream_id is not None:
            # header_encoding makes h2 give str; the daemon sends ASCII.
            headers = [(str(k), str(v)) for k, v in event.headers or []]
            path = next((v for k, v in headers if k == ":path"), "")
            metadata = [(k, v) for k, v in headers if not k.startswith(":")]
            self._streams[event.stream_id] = stream = _Stream()
            call = threading.Thread(
                target=self._call, args=(event.stream_id, stream, path, metadata), name="luakit-session-call"
            )
            call.daemon = True
            call.start()
        elif isinstance(event, h2.events.DataReceived) and event.stream_id is not None:
            if event.flow_controlled_length:
                self._conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if (receiving := self._streams.get(event.stream_id)) is not None:
                receiving.pending += event.data or b""
                while len(receiving.pending) >= 5:
                    (length,) = struct.unpack(">I", receiving.pending[1:5])
                    if len(receiving.pending) < 5 + length:
                        break
                    receiving.requests.put(receiving.pending[5 : 5 + length])
                    receiving.pending = receiving.pending[5 + length :]
        elif isinstance(event, h2.events.StreamEnded) and event.stream_id is not None:
            if (ended := self._streams.get(event.stream_id)) is not None:
                ended.requests.put(_END)
        elif isinstance(event, h2.events.StreamReset) and event.stream_id is not None:
            if (reset := self._streams.pop(event.stream_id, None)) is not None:
                reset.closed = True
                reset.requests.put(_END)
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self._write_pending()
            self._lock.notify_all()
        elif isinstance(event, h2.events.ConnectionTerminated):
            for stream in self._streams.values():
                stream.closed = True
                stream.requests.put(_END)

    def _call(self, stream_id: int, stream: _Stream, path: str, metadata: list[tuple[str, str]]) -> None:
        try:
            with self._lock:
                self._conn.send_headers(stream_id, [(":status", "200"), ("content-type", "application/grpc")])
                self._flush()
            status, details = self._run(stream_id, stream, path, _Context(metadata))
            self._finish(stream_id, stream, status, details)
        except h2.exceptions.H2Error:
            # The daemon reset the stream (it gave up on the call) or the connection ended:
            # there is no one to answer.
            with self._lock:
                stream.closed = True
                self._streams.pop(stream_id, None)

    def _run(self, stream_id: int, stream: _Stream, path: str, context: _Context) -> tuple[grpc.StatusCode, str]:
        """Call the method's handler; the call's status and message."""
        handler = self._methods.find(path)
        try:
            if handler is None:
                raise _Abort(grpc.StatusCode.UNIMPLEMENTED, f"unknown method {path}")
            requests = self._requests(stream, handler.request_deserializer)
            if handler.unary_unary is not None:
                self._respond(stream_id, stream, handler, handler.unary_unary(next(requests), context))
            elif handler.unary_stream is not None:
                for response in handler.unary_stream(next(requests), context):
                    self._respond(stream_id, stream, handler, response)
            elif handler.stream_stream is not None:
                for response in handler.stream_stream(requests, context):
                    self._respond(stream_id, stream, handler, response)
            else:
                raise _Abort(grpc.StatusCode.UNIMPLEMENTED, f"{path}: not a kind of method luakit serves")
        except _Abort as exc:
            return exc.code, exc.details
        except StopIteration:
            return grpc.StatusCode.INVALID_ARGUMENT, "no request message"
        except h2.exceptions.H2Error:
            raise
        except Exception as exc:  # noqa: BLE001 - a handler's failure is the call's status, as grpcio makes it
            return grpc.StatusCode.UNKNOWN, f"{type(exc).__name__}: {exc}"
        return grpc.StatusCode.OK, ""

    def _requests(self, stream: _Stream, deserialize: Callable[[bytes], Any] | None) -> Iterator[Any]:
        while True:
            if stream.unsent and stream.requests.empty():
                # The handler is about to wait for the daemon, which may be waiting for these.
                with self._lock:
                    self._send_unsent(stream)
            if (message := stream.requests.get()) is _END:
                return
            yield deserialize(message) if deserialize else message

    def _respond(self, stream_id: int, stream: _Stream, handler: grpc.RpcMethodHandler, response: Any) -> None:
        payload = handler.response_serializer(response) if handler.response_serializer else response
        if stream.closed:
            raise _Abort(grpc.StatusCode.CANCELLED, "the daemon ended the call")
        # Appended in two steps: a file's 1 MiB pieces are not copied once more into a temporary.
        stream.unsent += struct.pack(">BI", 0, len(payload))
        stream.unsent += payload
        if len(stream.unsent) >= _BATCH:
            with self._lock:
                self._send_unsent(stream)
                # Back-pressure: a reader slower than our files holds us here, not in memory.
                while len(stream.outgoing) > _WINDOW and not stream.closed:
                    self._lock.wait()

    def _send_unsent(self, stream: _Stream) -> None:
        """Hand the call's collected responses to h2, as far as the windows let them out (lock held)."""
        stream.outgoing += stream.unsent
        stream.unsent = bytearray()
        self._write_pending()
        self._flush()

    def _finish(self, stream_id: int, stream: _Stream, status: grpc.StatusCode, details: str) -> None:
        with self._lock:
            stream.outgoing += stream.unsent
            stream.unsent = bytearray()
            while stream.outgoing and not stream.closed:
                self._write_pending()
                self._flush()
                if stream.outgoing:
                    self._lock.wait()
            if not stream.closed:
                trailers = [("grpc-status", str(status.value[0]))]
                if details:
                    trailers.append(("grpc-message", _percent_encoded(details)))
                with contextlib.suppress(h2.exceptions.StreamClosedError):
                    self._conn.send_headers(stream_id, trailers, end_stream=True)
            self._streams.pop(stream_id, None)
            self._flush()

    def _write_pending(self) -> None:
        """Let out as much of each stream's response bytes as the windows allow (lock held)."""
        for stream_id, stream in list(self._streams.items()):
            while stream.outgoing and not stream.closed:
                try:
                    window = self._conn.local_flow_control_window(stream_id)
                except h2.exceptions.StreamClosedError:
                    stream.closed = True
                    break
                size = min(window, self._conn.max_outbound_frame_size, len(stream.outgoing))
                if size <= 0:
                    break
                try:
                    self._conn.send_data(stream_id, memoryview(stream.outgoing)[:size].tobytes())
                except h2.exceptions.StreamClosedError:
                    stream.closed = True
                    break
                del stream.outgoing[:size]

    def _flush(self) -> None:
        if data := self._conn.data_to_send():
            self._send(data)


def _percent_encoded(text: str) -> str:
    """grpc-message's encoding: printable ASCII but `%` as it is, the rest percent-encoded UTF-8."""
    return "".join(c if " " <= c <= "~" and c != "%" else quote(c, safe="") for c in text)
