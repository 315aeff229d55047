"""luakit's BuildKit gateway frontend: `buildctl --frontend gateway.v0 --opt source=<image>`.

A thin face over `compiler`, like the CLI: it reads build.lua through the
gateway, evaluates it once per target platform, and returns the Definitions and
image configs to BuildKit. See docs/frontend.md.
"""
