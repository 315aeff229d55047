"""Lua source as luakit reads it outside the VM: one Lua 5.1 lexer and one position conversion."""
