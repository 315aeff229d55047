from luakit_buildkit.pb import fsutil_pb2 as _fsutil_pb2
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor
