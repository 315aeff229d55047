"""The sandboxed Lua 5.1 VM: limits, require, print, build args."""
