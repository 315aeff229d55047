"""How fast a luakit built on lupa and protobuf could be at most, shape by shape, beside the Go luakit.

    python bench/floors.py --go-luakit PATH            # shapes a-f at 10k ops
    python bench/floors.py --shapes ade --size 10000 --reps 5 --go-luakit PATH

Issue 17 asks every shape of bench/shapes.py to be at most the Go luakit's time. This prints,
for each shape, five costs that any evaluator written this way pays, whatever its own code does,
and their sum (the bound), beside our cold `luakit build` and the Go luakit in the same run:

  start     a fresh Python importing lupa and protobuf, nothing else (bench/shapes.py's floor);
  crossing  the shape's Lua run against a stub `bk` whose every function is one Python call that
            reads its arguments' tables (as any API must) and returns a fresh stub state: the
            script's own Lua work and one crossing into Python per call, no API work at all;
  build     each op's message built from its field values, already known, by a function written
            for that op alone (protobuf's attribute API, field by field; no decision is made);
  serialize each op's message, already built, serialized once (the least an encoder does: no
            field is set);
  assembly  the Definition made from op bytes that are already encoded: each op's sha256, its
            `def` entry, its metadata and source-location map entries merged from bytes already
            serialized, and the final deterministic serialization. No op is built.

Where the bound exceeds the Go luakit's time, that shape cannot be met by improving our code:
only by leaving lupa's per-call crossing or protobuf's messages (docs/performance.md). Each
in-process figure is the best process_time of --reps runs, the collector off (as the CLI runs).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import shapes  # first: it puts the repository root on sys.path for `compiler`
from lupa import lua51

from compiler import EvalOptions, ScriptSource, evaluate
from compiler.pb import llb as pb

try:  # as compiler/llb/encode.py: the digest luakit computes per op
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Python >= 3.12
    from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# A `bk` whose every function (and every State method) is one call into Python, then a new stub
# state; `require` finds the shape's modules beside its script, as luakit's does.
STUB = b"""
local cross, directory = ...
local State = {}
local function state() return setmetatable({}, State) end
State.__index = function(_, name)
  return function(...) cross(...); return state() end
end
bk = setmetatable({}, { __index = function(_, name)
  return function(...) cross(...); return state() end
end })
package.path = directory .. "/?.lua"
"""


def _read(value: Any, depth: int = 0) -> None:
    """Reads a table argument's keys and values, nested tables too: the least any API does with one."""
    if depth < 8 and lua51.lua_type(value) == "table":
        for key, item in value.items():
            if type(key) is bytes:
                key.decode()
            if type(item) is bytes:
                item.decode()
            else:
                _read(item, depth + 1)


def _cross(*args: Any) -> None:
    for arg in args:
        if type(arg) is bytes:
            arg.decode()
        else:
            _read(arg)


def best(reps: int, run: Callable[[], object]) -> float:
    """The best process_time of `reps` runs of `run`, in seconds, the collector off."""
    times = []
    for _ in range(reps):
        gc.collect()
        gc.disable()
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
        gc.enable()
    return min(times)


def crossing(directory: Path, reps: int) -> float:
    text = (directory / "build.lua").read_bytes()

    def run() -> None:
        lua = lua51.LuaRuntime(encoding=None, register_eval=False, unpack_returned_tuples=True)
        lua.execute(STUB, _cross, str(directory).encode())
        lua.execute(text)

    return best(reps, run)


def assembly(definition: bytes, reps: int) -> float:
    """The time to assemble `definition` again from its ops' finished bytes."""
    parsed = pb.Definition.FromString(definition)
    ops = []
    for data in getattr(parsed, "def"):
        digest = "sha256:" + sha256(data).hexdigest()
        meta = parsed.metadata[digest].SerializeToString() if digest in parsed.metadata else b""
        located = parsed.Source.locations[digest].SerializeToString() if digest in parsed.Source.locations else None
        ops.append((data, meta, located))
    infos = list(parsed.Source.infos)

    def run() -> None:
        out = pb.Definition()
        defs, metadata, locations = getattr(out, "def"), out.metadata, out.Source.locations
        for info in infos:
            out.Source.infos.add().CopyFrom(info)
        for data, meta, located in ops:
            digest = "sha256:" + sha256(data).hexdigest()
            defs.append(data)
            metadata[digest].MergeFromString(meta)
            if located is not None:
                locations[digest].MergeFromString(located)
        out.SerializeToString(deterministic=True)

    return best(reps, run)


def _statements(target: str, message: Any, lines: list[str], names: Iterator[int]) -> None:
    """Python statements that set `message`'s fields on `target` through protobuf's attribute API.

    Attribute by attribute is the cheapest way protobuf's Python API offers: building an exec op
    through nested constructors' keyword arguments takes ~3x as long (~10 against ~3 us).
    """
    for field, value in message.ListFields():
        where = f"{target}.{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                lines.append(f"{where}.update({dict(value)!r})")
                continue
            for key, item in value.items():
                name = f"v{next(names)}"
                lines.append(f"{name} = {where}[{key!r}]")
                _submessage(name, item, lines, names)
        elif field.is_repeated and field.message_type is None:
            lines.append(f"{where}.extend({list(value)!r})")
        elif field.is_repeated:
            for item in value:
                name = f"v{next(names)}"
                lines.append(f"{name} = {where}.add()")
                _statements(name, item, lines, names)
        elif field.message_type is not None:
            name = f"v{next(names)}"
            lines.append(f"{name} = {where}")
            _submessage(name, value, lines, names)
        else:
            lines.append(f"{where} = {value!r}")


def _submessage(name: str, message: Any, lines: list[str], names: Iterator[int]) -> None:
    if not message.ListFields():
        lines.append(f"{name}.SetInParent()")  # present, though empty
    _statements(name, message, lines, names)


def _builder(op: Any) -> Callable[[], Any]:
    """A function that builds `op` from constants, field by field: what a marshal specialised to it would do."""
    body: list[str] = []
    _statements("op", op, body, itertools.count())
    scope = {"Op": pb.Op}
    exec("\n".join(["def build():", "    op = Op()", *(f"    {line}" for line in body), "    return op"]), scope)
    return scope["build"]  # type: ignore[no-any-return]


def build(definition: bytes, reps: int) -> float:
    """The time to build each op's message of `definition` from its values, already known, without serializing it."""
    datas = list(getattr(pb.Definition.FromString(definition), "def"))
    builders = [_builder(pb.Op.FromString(data)) for data in datas]
    for make, data in zip(builders, datas, strict=True):  # the floor builds what luakit built
        if make() != pb.Op.FromString(data):  # equal fields: luakit writes the oneof last, as Go does
            raise SystemExit("bench/floors.py: a rebuilt op differs from luakit's")

    def run() -> None:
        for make in builders:
            make()

    return best(reps, run)


def serialize(definition: bytes, reps: int) -> float:
    """The time to serialize each op of `definition` once, its messages already built."""
    messages = [pb.Op.FromString(data) for data in getattr(pb.Definition.FromString(definition), "def")]

    def run() -> None:
        for message in messages:
            message.SerializeToString(deterministic=True)

    return best(reps, run)


def our_definition(directory: Path) -> bytes:
    script = directory / "build.lua"
    source = ScriptSource(script.read_text(), name="build.lua", path=str(script))
    evaluation = evaluate(
        source, EvalOptions(timeout=shapes.TIMEOUT_S, memory_limit=shapes.MEMORY_LIMIT_MIB * shapes.MiB)
    )
    if not evaluation.ok:
        raise SystemExit(f"{script}: {evaluation.problems[0]}")
    return evaluation.definition_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="abcdef", help="shape letters (default abcdef)")
    parser.add_argument("--size", type=int, default=10_000, help="ops per shape (default 10000)")
    parser.add_argument("--reps", type=int, default=3, help="runs of each measure; the best counts (default 3)")
    parser.add_argument("--go-luakit", metavar="PATH", help="a Go luakit binary you built yourself")
    parser.add_argument("--in-place", action="store_true", help="time this venv's luakit, not a regular install")
    args = parser.parse_args()

    ours = shapes.our_command(args.in_place)
    launcher = shapes.Launcher(None)
    bench = shapes.Bench(ours, args.go_luakit, shapes.TIMEOUT_S, launcher, quick=False)
    with tempfile.TemporaryDirectory(prefix="luakit-floors-") as work:
        quick_start = Path(work) / "quick-start"
        quick_start.mkdir()
        (quick_start / "build.lua").write_text(shapes.QUICK_START)
        python = str(Path(ours[0]).with_name("python"))
        start = min(launcher.run([python, "-c", shapes.FLOOR], quick_start).seconds for _ in range(10))
        print(f'start: python -c "{shapes.FLOOR}", best of 10: {start * 1e3:.1f} ms\n')
        print(
            f"{'shape':<42} {'start':>7} {'crossing':>9} {'build':>7} {'serialize':>9} {'assembly':>9} {'bound':>7} {'ours':>7} {'go':>7} {'bound/go':>9}"
        )
        for shape in shapes.SHAPES:
            if shape.key not in args.shapes:
                continue
            directory = Path(work) / shape.key
            directory.mkdir()
            for name, text in shape.generate(args.size).items():
                (directory / name).write_text(text)
            cross = crossing(directory, args.reps)
            definition = our_definition(directory)
            built = build(definition, args.reps)
            serialized = serialize(definition, args.reps)
            assemble = assembly(definition, args.reps)
            bound = start + cross + built + serialized + assemble
            cold = launcher.best_of([*ours, "build", "--no-resolve", "-o", "out.pb", "build.lua"], directory, args.reps)
            go = shapes.go_dag(bench, directory, args.reps)[0] if args.go_luakit else None
            cells = [f"{t * 1e3:7.0f}" for t in (start, cross, built, serialized, assemble)]
            ours_ms = f"{cold.seconds * 1e3:7.0f}" if isinstance(cold, shapes.Process) else "  fail"
            go_ms = f"{go.seconds * 1e3:7.0f}" if isinstance(go, shapes.Process) else "      -"
            ratio = f"{bound / go.seconds:9.2f}" if isinstance(go, shapes.Process) else "        -"
            label = f"{shape.key} {shape.title}"
            print(
                f"{label:<42} {cells[0]} {cells[1]:>9} {cells[2]} {cells[3]:>9} {cells[4]:>9} {bound * 1e3:7.0f} {ours_ms} {go_ms} {ratio}"
            )
    launcher.close()
    print(
        "\nms; bound = start + crossing + build + serialize + assembly, what no evaluator on lupa and protobuf can go below."
    )


if __name__ == "__main__":
    main()
