"""BuildKit's LLB messages (pb.Op, pb.Definition, ...) as the compiler uses them, loaded cheaply.

protoc's `ops_pb2` builds its classes through protobuf's generic builder, which
first imports ~10 ms of machinery (descriptor pools, text format, the pure-Python
message layer) that a two-line `luakit build` would notice. This module feeds the
same file descriptor (`ops.binpb`, written next to `ops_pb2` by
proto/generate.py and checked fresh by tests/test_proto_fresh.py) straight into
upb, the backend protobuf itself runs on, and makes the same upb message classes
protobuf would. Without upb (a pure-Python protobuf) it is `ops_pb2` as is.

Type checkers see `ops_pb2`'s stubs; at run time the names are the same.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any
    from compiler.pb.ops_pb2 import *  # noqa: F403
else:

    def _load() -> dict[str, Any]:
        try:
            from google._upb import _message
            from google.protobuf import message
        except ImportError:  # pragma: no cover - protobuf without upb
            from compiler.pb import ops_pb2

            return {k: v for k, v in vars(ops_pb2).items() if not k.startswith("_")}
        pool = _message.DescriptorPool()
        # os.path, not pathlib: pathlib brings urllib.parse and ipaddress (docs/performance.md#cold-start).
        with open(os.path.join(os.path.dirname(__file__), "ops.binpb"), "rb") as f:
            file = pool.AddSerializedFile(f.read())
        names: dict[str, Any] = {}
        # Every message class, nested ones (map entries) included: upb finds a
        # submessage's class through its descriptor, so each must exist.
        pending = list(file.message_types_by_name.values())
        while pending:
            descriptor = pending.pop()
            cls = _message.MessageMeta(descriptor.name, (message.Message,), {"DESCRIPTOR": descriptor, "__module__": __name__})
            if descriptor.containing_type is None:
                names[descriptor.name] = cls
            pending.extend(descriptor.nested_types)
        for enum in file.enum_types_by_name.values():
            for value in enum.values:
                names[value.name] = value.number
        return names

    globals().update(_load())
