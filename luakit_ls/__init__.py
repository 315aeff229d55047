"""luakit's language server: LSP features over the compiler and the stub index of types/.

`server.py` wires LSP methods to the plain modules here; each of them takes the
document text and a position (plus, optionally, what the last evaluation
recorded) and returns data, so all of them are tested without a server:

- `stubs`: the index of types/bk.lua (functions, methods, option classes, enums);
- reading scripts while they are typed: `parsing` (tree and positions), `expressions`,
  `scopes`, `requires`, `inference` (types), `call_records`, `cursor` (the context at
  a position) and `option_sites`;
- `completion`, `hover`, `signature`, `definition`, `symbols`, `inlay`,
  `actions` (quick fixes) and `sandbox_check` (static sandbox violations).

Results are lsprotocol types. lsprotocol costs ~0.25 s to import, but pygls
imports it anyway, so the server pays it once; none of these modules imports
pygls or `compiler` (the Lua VM) at import time.
"""

__version__ = "0.1.0"
