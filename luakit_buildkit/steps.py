"""A failed step in the user's terms: where its Lua call is, and the one line that says what failed.

Both faces that build (`luakit buildx`, the language server's `luakit.build`) read
these, so a failure reads the same in the terminal and in the editor (docs/cli.md).
The location comes from the Definition's own source map: every op's digest names
the Lua call that made it, which is the digest the daemon reports a vertex by.
"""

from __future__ import annotations

from compiler.errors import Location
from compiler.pb import llb as pb
from luakit_buildkit.cli import push_refusal
from luakit_buildkit.client import BuildFailed


def step_location(definition: pb.Definition, digest: str | None) -> Location | None:
    """Where the op `digest` of `definition` was made, as its source map says; None if unknown."""
    if digest is None or digest not in definition.Source.locations:
        return None
    for found in definition.Source.locations[digest].locations:
        if found.ranges and 0 <= found.sourceIndex < len(definition.Source.infos):
            span = found.ranges[0]
            return Location(
                definition.Source.infos[found.sourceIndex].filename,
                span.start.line,
                span.start.character,
                span.end.line,
                span.end.character,
            )
    return None


def failure_line(failure: BuildFailed) -> str:
    """`run failed: /bin/sh -c "make test": exit code 2`, or what BuildKit said of another step."""
    # A process that exited is a `run`; other steps (copy, source) say BuildKit's message.
    if failure.exit_code is not None:
        return f"run failed: {failure.step_name}: exit code {failure.exit_code}"
    if (refusal := push_refusal(failure.message)) is not None:
        return refusal
    return f"{failure.step_name or 'build'} failed: {failure.message}"
