"""Human views of a marshalled graph: DOT and JSON (`luakit dag`)."""

# The op kinds `luakit dag --filter` accepts.
KINDS = ("source", "exec", "file", "merge", "diff")
