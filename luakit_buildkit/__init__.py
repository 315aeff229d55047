"""A BuildKit client: runs a luakit Definition on a BuildKit daemon (docs/cli.md, `luakit buildx`).

Kept apart from the compiler core, which knows nothing of daemons or networks.
The API is `luakit_buildkit.client.build`; this package imports nothing at
start-up so `luakit`'s other commands do not load grpc.
"""
