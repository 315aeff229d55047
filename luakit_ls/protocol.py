"""The LSP specification's rules for the message exchange, where pygls 2.1 does otherwise.

pygls reads, decodes and dispatches the messages; this subclass of its protocol
answers what the specification says to answer (docs/editors.md, "Any other LSP client"):

* a request whose params do not fit its method: an InvalidParams (-32602) error
  response to that id (pygls raises out of its read loop: no response, a popup);
* a request before `initialize`: ServerNotInitialized (-32002); notifications before
  it are dropped, except `exit` (pygls runs them, and answers requests -32603 with a
  Python traceback when they touch the workspace);
* a second `initialize`: InvalidRequest (-32600), the first session goes on;
* a request after `shutdown`: InvalidRequest (-32600) (pygls drops it unanswered);
* `exit`: the process's exit code is 0 after `shutdown`, 1 without (pygls computes
  that code, but its IO loop swallows the SystemExit that carries it; `main` exits
  with `exit_code`);
* malformed JSON: a ParseError (-32700) response with id null, and JSON that is no
  message an InvalidRequest (-32600) one (pygls fails in `json.loads`, in its read
  loop, before the protocol sees anything: `read_loop_error` is the one place it lets
  us answer, through the server's error handler);
* an unknown request: MethodNotFound (-32601) (pygls does this); an unknown
  notification whose method starts with `$/` is ignored silently, as the
  specification allows for those.

It also keeps the one piece of pygls's bookkeeping a handler needs: `current_request`,
the future of the request being handled, which its `$/cancelRequest` cancels (a long
command, `luakit.build`, stops its work on it).

Routine events are not logged as warnings: pygls's logging goes to stderr, which
editors show as errors (VS Code prints each line as "[error]").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from concurrent.futures import Future
from typing import Any

import attrs
from cattrs.errors import ClassValidationError
from lsprotocol import types as t
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage
from pygls.protocol.language_server import lsp_method

logger = logging.getLogger(__name__)


@attrs.define
class Malformed:
    """A message that arrived whole but cannot be handled as it is; answered with `error` if it has an id."""

    id: Any
    method: str
    error: JsonRpcException


class LuakitProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_seen = False
        # None until `exit` arrives: a client that closes the pipe without it leaves the process's
        # exit code at 0, as before.
        self.exit_code: int | None = None

    # ------------------------------------------------------------ decoding

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Decode requests and notifications ourselves, so that params that do not fit keep the
        message's id (pygls raises JsonRpcInvalidParams, which loses it); the rest as pygls does."""
        if "jsonrpc" not in data or "method" not in data or not isinstance(data["method"], str):
            return super().structure_message(data)
        method = data["method"]
        generic = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
        try:
            return self._converter.structure(data, self.get_message_type(method) or generic)
        except (ClassValidationError, TypeError, ValueError, KeyError) as exc:
            return Malformed(data.get("id"), method, JsonRpcInvalidParams(f"{method}: invalid params ({exc})"))

    # ------------------------------------------------------------ dispatch

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Malformed):
            self._refuse(message.id, message.method, message.error)
            return
        if isinstance(message, dict | list | str | int | float | bool) or message is None:
            # Valid JSON but no JSON-RPC 2.0 message (an array, a number, an object without `jsonrpc`).
            msg_id = message.get("id") if isinstance(message, dict) else None
            self._refuse(msg_id, "", JsonRpcInvalidRequest("not a JSON-RPC 2.0 message"))
            return
        method = getattr(message, "method", None)
        if method is None:
            super().handle_message(message)  # a response to one of our requests
            return
        is_request = hasattr(message, "id")
        if method == t.EXIT:
            super().handle_message(message)
        elif not self.initialize_seen and method != t.INITIALIZE:
            if is_request:
                error = JsonRpcServerNotInitialized(f"{method}: the server is not initialized yet")
                self._refuse(message.id, method, error)
            # Notifications before `initialize` are dropped, as the specification says.
        elif self._shutdown:
            if is_request:
                self._refuse(message.id, method, JsonRpcInvalidRequest(f"{method}: the server is shut down"))
        elif method == t.INITIALIZE:
            if self.initialize_seen:
                self._refuse(message.id, method, JsonRpcInvalidRequest("initialize: the server is initialized"))
                return
            self.initialize_seen = True
            super().handle_message(message)
        elif not is_request and method.startswith("$/") and not self._knows(method):
            logger.debug("ignoring the notification %s", method)
        else:
            super().handle_message(message)

    def _knows(self, method: str) -> bool:
        return method == t.CANCEL_REQUEST or method in self.fm.builtin_features or method in self.fm.features

    def _refuse(self, msg_id: Any, method: str, error: JsonRpcException) -> None:
        if msg_id is None and method:
            logger.debug("dropping the notification %s: %s", method, error)
            return
        # A plain dict: lsprotocol's converter leaves out an id that is None, and an error about a
        # message whose id is unknown must carry `"id": null`.
        answer = {"code": error.code, "message": error.message}
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": answer})

    def current_request(self) -> Future[Any] | None:
        """The future of the request whose handler is running (None outside one, or once it is
        answered); `$/cancelRequest` of that request cancels it (`_handle_cancel_notification`)."""
        msg_id = self.msg_id
        return self._request_futures.get(msg_id) if msg_id is not None else None

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """Cancel a request that is still running; one already answered is the common case (a client
        cancels what the user moved past), not worth a warning."""
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()

    # ------------------------------------------------------------ the read loop and the end

    def read_loop_error(self, error: Exception) -> bool:
        """Answer what failed in pygls's read loop before reaching the protocol; False if it was
        something else (a real error, left to pygls's error report)."""
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            self._refuse(None, "", JsonRpcParseError(f"malformed JSON: {error}"))
            return True
        return False

    @lsp_method(t.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        self.exit_code = 0 if self._shutdown else 1
        yield from super().lsp_exit(*args)
