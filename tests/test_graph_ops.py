"""merge, diff, with_metadata, export, platform, arg; the final vertex and source map."""

import hashlib
import json

from compiler.pb import ops_pb2 as pb
from tests.helpers import build, error, run_script


def test_merge_inputs_in_order_without_dedup_and_scratch_filtered():
    d = build(
        """
        local a = bk.image("alpine"):run("a")
        local b = bk.image("alpine"):run("b")
        bk.export(bk.merge(a, bk.scratch(), b, a))
        """
    )
    op = d.one("merge")
    assert [i.input for i in op.merge.inputs] == [0, 1, 2]
    # Three MergeInputs (field 1); input 0 is all defaults but still emitted, as an empty message.
    assert op.merge.SerializeToString() == b"\x0a\x00" + b"\x0a\x02\x08\x01" + b"\x0a\x02\x08\x02"
    assert op.inputs[0].digest == op.inputs[2].digest  # `a` twice: the same op, not deduplicated
    assert d.caps(op) == {"mergeop"}
    assert not op.HasField("platform")


def test_merge_of_a_table_and_degenerate_cases():
    d = build('local a = bk.image("alpine"); bk.export(bk.merge({ a, a:run("x") }))')
    assert len(d.one("merge").merge.inputs) == 2
    d = build('local a = bk.image("alpine"); bk.export(bk.merge(a, bk.scratch()))')
    assert d.of_kind("merge") == []  # one real input: that state itself
    assert error('bk.merge(bk.image("a"))') == "build.lua:1:9: bk.merge: requires at least 2 states"
    assert "bk.merge: argument 2 must be a State, got string" in error('bk.merge(bk.image("a"), "b")')


def test_diff():
    d = build('local a = bk.image("alpine"); bk.export(bk.diff(a, a:run("apk add nginx")))')
    op = d.one("diff")
    assert (op.diff.lower.input, op.diff.upper.input) == (0, 1)
    assert op.diff.HasField("lower")
    assert d.caps(op) == {"diffop"}
    d = build('local a = bk.image("alpine"); bk.export(bk.diff(a, bk.scratch()))')
    assert d.one("diff").diff.upper.input == -1
    d = build('local a = bk.image("alpine"); bk.export(bk.diff(bk.scratch(), a))')
    assert d.of_kind("diff") == []
    assert error("bk.diff(bk.image('a'))") == "build.lua:1:8: bk.diff: requires lower and upper state arguments"


def test_with_metadata_is_a_new_state_with_customname_and_progress_group():
    d = build(
        """
        local base = bk.image("alpine")
        local built = base:run("make")
        local named = built:with_metadata({ description = "compile", progress_group = "build", ignore_cache = true })
        bk.export(bk.merge(named, built:run("x")))
        """
    )
    exec_op = [op for op in d.of_kind("exec") if list(op.exec.meta.args)[-1] == "make"][0]
    meta = d.metadata(exec_op)
    assert meta.description["llb.customname"] == "compile"
    assert (meta.progress_group.id, meta.progress_group.name) == ("build", "build")
    assert meta.ignore_cache
    assert not {"meta.description", "meta.ignorecache"} & set(meta.caps)  # on the final vertex only, as llb
    # The final vertex's metadata announces that some op has a description and ignores the cache.
    raw_final = list(getattr(d.definition, "def"))[-1]
    final_digest = "sha256:" + hashlib.sha256(raw_final).hexdigest()
    assert final_digest not in d.digests
    assert d.final.inputs[0].digest == d.digests[d.ops.index(d.one("merge"))]
    final_meta = d.definition.metadata[final_digest]
    assert {"constraints", "platform", "meta.description", "meta.ignorecache"} == set(final_meta.caps)


def test_with_metadata_errors():
    assert "bk.scratch() has no operation to describe" in error('bk.scratch():with_metadata({ description = "x" })')
    assert "state:with_metadata: unknown option 'desc' (did you mean 'description'?)" in error(
        'bk.image("a"):with_metadata({ desc = "x" })'
    )


def test_final_vertex_of_a_plain_export():
    d = build('bk.export(bk.image("alpine"))')
    final = d.final
    assert final.WhichOneof("op") is None
    assert not final.HasField("platform") and not final.HasField("constraints")
    assert [(i.digest, i.index) for i in final.inputs] == [(d.digests[0], 0)]


def test_export_of_get_mount_output():
    d = build(
        """
        local r = bk.image("alpine"):run("make", { mounts = {
          bk.bind(bk.scratch(), "/out", { readonly = false }),
          bk.bind(bk.scratch(), "/logs", { readonly = false }) } })
        bk.export(r:get_mount("/out"))
        """
    )
    exec_digest = d.digests[d.ops.index(d.one("exec"))]
    # Outputs are numbered in mount order: / is 0, /logs is 1, /out is 2.
    assert [(i.digest, i.index) for i in d.final.inputs] == [(exec_digest, 2)]


def test_with_metadata_then_get_mount():
    d = build(
        """
        local r = bk.image("alpine"):run("make", { mounts = { bk.bind(bk.scratch(), "/out", { readonly = false }) } })
        local named = r:with_metadata({ description = "compile", ignore_cache = true })
        bk.export(named:get_mount("/out"))
        """
    )
    exec_op = d.one("exec")
    exec_digest = d.digests[d.ops.index(exec_op)]
    assert [(i.digest, i.index) for i in d.final.inputs] == [(exec_digest, 1)]
    meta = d.metadata(exec_op)
    assert meta.description["llb.customname"] == "compile"
    assert meta.ignore_cache


def test_export_of_scratch_is_an_empty_definition():
    evaluation = run_script("bk.export(bk.scratch())")
    assert evaluation.ok
    definition = pb.Definition.FromString(evaluation.definition_bytes())
    assert list(getattr(definition, "def")) == []


def test_export_config_is_validated_and_kept():
    evaluation = run_script(
        """
        bk.export(bk.image("alpine"), {
          entrypoint = { "/server" }, cmd = { "--port", "8080" }, env = { B = "2", A = "1" },
          user = "nobody", workdir = "/srv", expose = { "8080/tcp", 53 .. "/udp", 9090 },
          labels = { ["org.opencontainers.image.title"] = "x" }, volumes = { "/data" },
          stop_signal = "SIGTERM", os = "linux", arch = "arm64",
        })
        """
    )
    assert evaluation.ok, evaluation.problems
    config = evaluation.export.config
    assert config == {
        "architecture": "arm64",
        "os": "linux",
        "config": {
            "User": "nobody",
            "ExposedPorts": {"53/udp": {}, "8080/tcp": {}, "9090/tcp": {}},
            "Env": ["A=1", "B=2"],
            "Entrypoint": ["/server"],
            "Cmd": ["--port", "8080"],
            "Volumes": {"/data": {}},
            "WorkingDir": "/srv",
            "Labels": {"org.opencontainers.image.title": "x"},
            "StopSignal": "SIGTERM",
        },
    }
    json.dumps(config)


def test_export_errors():
    assert "bk.export: already called" in error('local s = bk.image("a"); bk.export(s); bk.export(s)')
    assert "bk.export: argument 1 must be the State to export, got nil" in error("bk.export(nil)")
    assert "bk.export: entrypoint must be a list of strings like" in error(
        'bk.export(bk.image("a"), { entrypoint = "/x" })'
    )
    assert "bk.export: expose[1] must be a port like" in error('bk.export(bk.image("a"), { expose = { "http" } })')
    assert "bk.export: unknown option 'entry' (did you mean 'entrypoint'?)" in error(
        'bk.export(bk.image("a"), { entry = {} })'
    )
    assert error('local s = bk.image("a")') == "build.lua: no bk.export() call - nothing to build"


def test_platform_values():
    evaluation = run_script(
        """
        local p = bk.platform("linux", "arm64")
        assert(tostring(p) == "linux/arm64", tostring(p))
        assert(tostring(bk.platform("linux/arm/v6")) == "linux/arm/v6")
        assert(type(p) == "userdata")
        bk.export(bk.scratch())
        """
    )
    assert evaluation.ok, evaluation.problems
    assert "Platform has no fields" in error('local p = bk.platform("linux/amd64"); local x = p.os')
    assert "invalid platform 'linux'" in error('bk.platform("linux")')


def test_build_args():
    evaluation = run_script(
        """
        assert(bk.arg("VERSION") == "1.2", bk.arg("VERSION"))
        assert(bk.arg("MISSING") == nil)
        assert(bk.arg("MISSING", "dflt") == "dflt")
        assert(os.getenv("VERSION") == "1.2")
        assert(os.getenv("HOME") == nil, "the host environment must not leak")
        bk.export(bk.scratch())
        """,
        build_args={"VERSION": "1.2"},
    )
    assert evaluation.ok, evaluation.problems


def test_state_method_typo():
    assert "State has no method 'runn' (did you mean 'run'?)" in error('bk.image("a"):runn("x")')
    assert "a Mount has no fields" in error('local m = bk.cache("/c"); local x = m.dest')


def test_tostring_of_values():
    evaluation = run_script(
        """
        local s = bk.image("alpine")
        assert(tostring(s):match("^State%(source at build.lua:2"), tostring(s))
        assert(tostring(bk.scratch()) == "State(scratch)")
        assert(tostring(bk.cache("/c")) == "Mount(cache /c)")
        assert(getmetatable(s) == "luakit.State")
        bk.export(s)
        """
    )
    assert evaluation.ok, evaluation.problems


def test_arg_without_default_is_one_nil():
    evaluation = run_script(
        'assert(select("#", bk.arg("UNSET")) == 1)\nassert(tostring(bk.arg("UNSET")) == "nil")\nbk.export(bk.scratch())'
    )
    assert evaluation.ok, evaluation.problems


def test_unused_steps_are_warned_once_per_chain():
    evaluation = run_script(
        """
        local base = bk.image("alpine")
        local forgotten = base:run("make test")
        forgotten:run("make lint")
        local used = base:run("make")
        bk.export(used)
        """
    )
    assert evaluation.ok
    assert [str(p) for p in evaluation.problems] == [
        "build.lua:4:11: warning: state:run: this result is never used by bk.export, so BuildKit will not run it"
    ]


def test_an_unused_step_is_told_from_its_exported_twin_without_marshalling_the_export():
    # The editor's evaluations never marshal: an unused step costs the digests of the
    # exported nodes of its kind only (docs/performance.md, "Script shapes").
    evaluation = run_script(
        """
        local ctx = bk.local_("context")
        local base = bk.image("alpine")
        local twin = bk.image("alpine")
        bk.export(base:run("make"):run("make install"))
        """
    )
    assert [str(p) for p in evaluation.problems] == [
        "build.lua:2:13: warning: bk.local_: this result is never used by bk.export, so BuildKit will not run it"
    ]
    assert "marshalled" not in vars(evaluation)
    assert len(evaluation.marshalled.ops) == 3  # and the export still marshals with the digests already made


def test_image_defaults_from_a_resolver_flow_into_runs():
    from compiler.graph.nodes import ImageDefaults

    class Resolver:
        def __init__(self):
            self.asked = []

        def resolve(self, identifier, platform):
            self.asked.append(identifier)
            return ImageDefaults(env=("PATH=/custom/bin", "LANG=C.UTF-8"), workdir="/srv", user="app")

    resolver = Resolver()
    d = build(
        """
        local base = bk.image("node:20")
        local r = base:run("npm ci", { env = { NODE_ENV = "production" } })
        local c = r:copy(bk.local_("context"), ".", "app")
        bk.export(c:run("ls", { cwd = "sub" }))
        bk.image("unresolved", { resolve_digest = false })
        """,
        image_resolver=resolver,
    )
    first, second = d.of_kind("exec")
    assert list(first.exec.meta.env) == ["PATH=/custom/bin", "LANG=C.UTF-8", "NODE_ENV=production"]
    assert (first.exec.meta.cwd, first.exec.meta.user) == ("/srv", "app")
    assert d.one("file").file.actions[0].copy.dest == "/srv/app"
    assert second.exec.meta.cwd == "/srv/sub"
    assert resolver.asked == ["docker-image://docker.io/library/node:20"]


def test_a_runs_inputs_are_its_bind_mounts_in_the_order_of_its_filesystem_mounts():
    # ExecNode.inputs skips building the root's mount (docs/performance.md): it must still give
    # the order of filesystem_mounts, which fixes the op order of the Definition.
    import itertools

    from compiler.graph import nodes as g

    image = g.Ref(g.SourceNode("docker-image://docker.io/library/alpine:latest", (), ()))
    context = g.Ref(g.SourceNode("local://context", (), ()))
    mounts = [
        g.BindMount("/src", context),
        g.CacheMount("/root/.cache", "/c", 0),
        g.BindMount("/a/b", image),
        g.BindMount("/", context),
        g.BindMount("/a", None),
    ]
    for order in itertools.permutations(mounts):
        node = g.ExecNode(image, ("sh",), (), "/", mounts=order)
        expected = tuple(m.source for m in node.filesystem_mounts() if isinstance(m, g.BindMount))
        assert node.inputs() == expected, order
    assert g.ExecNode(image, ("sh",), (), "/").inputs() == (image,)
