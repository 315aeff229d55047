"""The `bk` API: Lua values in, graph values out, with validation in the user's words."""
