"""A BuildKit client: runs a luakit Definition on a BuildKit daemon (docs/cli.md, `luakit buildx`).

Kept apart from the compiler core, which knows nothing of daemons or networks.
The API is `luakit_buildkit.client.build`; this package imports nothing at
start-up so `luakit`'s other commands do not load grpc.
"""

import os

# grpc's C core prints failed TLS handshakes on stderr by itself, before the
# error reaches us; our one line says it. Set before anything here loads grpc.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
