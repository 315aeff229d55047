"""Human views of a marshalled graph: DOT and JSON (`luakit dag`)."""
