"""Settings for every test: luakit commands never ask a registry unless a test says so.

Offline, a lookup would add a warning to every script naming an image; online
(Docker Hub reachable), it would pin digests that change under the goldens.
The scenarios that test resolution remove LUAKIT_NO_RESOLVE from their
commands' environment.
"""

import os

os.environ["LUAKIT_NO_RESOLVE"] = "1"
