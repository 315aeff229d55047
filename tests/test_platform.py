"""Platforms are normalized like containerd's `platforms.Normalize`, through one parser everywhere.

The cases come from containerd/platforms v1.0.0-rc.4: `normalizeArch` in database.go and the
2- and 3-component inputs (and their `matches`) of TestParseSelector / TestParseSelectorInvalid in
platforms_test.go, each read as `Normalize(Parse(s))`, which is what BuildKit does with a platform.
"""

import pytest

from compiler.graph.platform import Platform, normalize, parse
from tests.helpers import build, error, run_script

NORMALIZE = [
    # (os, arch, variant) -> os/arch[/variant]
    (("linux", "i386", ""), "linux/386"),
    (("linux", "i386", "v6"), "linux/386"),  # i386 never keeps a variant
    (("linux", "x86_64", ""), "linux/amd64"),
    (("linux", "x86-64", ""), "linux/amd64"),
    (("linux", "amd64", "v1"), "linux/amd64"),
    (("linux", "amd64", "v2"), "linux/amd64/v2"),
    (("linux", "amd64", "v3"), "linux/amd64/v3"),
    (("linux", "aarch64", ""), "linux/arm64"),
    (("linux", "aarch64", "v8"), "linux/arm64"),
    (("linux", "arm64", "8"), "linux/arm64"),
    (("linux", "arm64", "v8"), "linux/arm64"),
    (("linux", "arm64", "v8.0"), "linux/arm64"),
    (("linux", "arm64", "9"), "linux/arm64/v9"),
    (("linux", "arm64", "9.0"), "linux/arm64/v9"),
    (("linux", "arm64", "v9.0"), "linux/arm64/v9"),
    (("linux", "arm64", "v8.2"), "linux/arm64/v8.2"),
    (("linux", "armhf", ""), "linux/arm/v7"),
    (("linux", "armhf", "v6"), "linux/arm/v7"),  # the alias decides the variant
    (("linux", "armel", ""), "linux/arm/v6"),
    (("linux", "armel", "v7"), "linux/arm/v6"),
    (("linux", "arm", ""), "linux/arm/v7"),
    (("linux", "arm", "7"), "linux/arm/v7"),
    (("linux", "arm", "5"), "linux/arm/v5"),
    (("linux", "arm", "6"), "linux/arm/v6"),
    (("linux", "arm", "8"), "linux/arm/v8"),
    (("linux", "arm", "v6"), "linux/arm/v6"),
    (("linux", "s390x", ""), "linux/s390x"),
    (("linux", "ppc64le", ""), "linux/ppc64le"),
    (("linux", "riscv64", ""), "linux/riscv64"),
    (("linux", "i686", ""), "linux/i686"),  # not an alias in containerd
    (("Linux", "AARCH64", "V8"), "linux/arm64"),  # lower-cased first
    (("macOS", "arm64", ""), "darwin/arm64"),
    (("windows", "amd64", ""), "windows/amd64"),
]


@pytest.mark.parametrize("parts, expected", NORMALIZE, ids=[f"{'/'.join(p)}" for p, _ in NORMALIZE])
def test_normalize_like_containerd(parts, expected):
    assert str(normalize(*parts)) == expected


PARSE = [
    ("linux/arm64", "linux/arm64"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/aarch64/v8", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/armhf", "linux/arm/v7"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/arm/v7", "linux/arm/v7"),
    ("linux/arm/v6", "linux/arm/v6"),
    ("linux/armel", "linux/arm/v6"),
    ("linux/s390x", "linux/s390x"),
    ("Linux/x86_64", "linux/amd64"),
    ("linux/i386", "linux/386"),
    ("linux/amd64/v1", "linux/amd64"),
]


@pytest.mark.parametrize("text, expected", PARSE)
def test_parse_then_normalize_like_containerd(text, expected):
    assert str(parse(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty
        "/linux/arm",  # leading slash
        "linux/arm/",  # trailing slash
        "linux /arm",  # spaces
        "linux/&arm",  # invalid character
        "linux/arm/foo/bar",  # too many components
        "linux",  # containerd would add the host's architecture: output would depend on the machine
        "arm64",  # ... or the host's OS
        "linux.x/arm64",  # an OS has no '.'
        "windows(10.0.17763)/amd64",  # OS versions are not supported
    ],
)
def test_invalid_platforms(text):
    with pytest.raises(ValueError, match=r"^invalid platform '"):
        parse(text)


def test_every_entry_point_uses_the_one_normalization():
    d = build(
        """
        local a = bk.image("a", { platform = "linux/armel" })
        local b = bk.image("b", { platform = { os = "Linux", arch = "aarch64", variant = "v8" } })
        local c = bk.image("c", { platform = bk.platform("linux", "x86_64") })
        local d = bk.image("d", { platform = bk.platform("linux/i386") })
        local e = bk.image("e")
        bk.export(bk.merge(a:run("a"), b:run("b"), c:run("c"), d:run("d"), e:run("e")))
        """,
        target_platform=parse("linux/armhf"),
    )
    platforms = {
        op.exec.meta.args[-1]: (op.platform.OS, op.platform.Architecture, op.platform.Variant)
        for op in d.of_kind("exec")
    }
    assert platforms == {
        "a": ("linux", "arm", "v6"),
        "b": ("linux", "arm64", ""),
        "c": ("linux", "amd64", ""),
        "d": ("linux", "386", ""),
        "e": ("linux", "arm", "v7"),  # the target platform
    }


def test_export_platform_is_normalized_too():
    evaluation = run_script('bk.export(bk.scratch(), { os = "linux", arch = "aarch64", variant = "v8" })')
    assert evaluation.ok, evaluation.problems
    assert (evaluation.export.config["os"], evaluation.export.config["architecture"]) == ("linux", "arm64")
    assert "variant" not in evaluation.export.config
    evaluation = run_script(
        'bk.export(bk.image("a", { platform = "linux/arm/v6" }), { cmd = { "x" }, os = "linux" })',
    )
    assert evaluation.export.config["variant"] == "v6"  # arch and variant kept from the state


def test_platform_errors_say_what_is_wrong():
    assert error('bk.image("a", { platform = "linux/&arm" })') == (
        "build.lua:1:28: bk.image: platform: invalid platform 'linux/&arm': architecture '&arm' is not valid "
        "(use letters, digits, '_', '.' and '-')"
    )
    assert error('bk.image("a", { platform = { os = "linux" } })') == (
        'build.lua:1:28: bk.image: platform must have os and arch, like { os = "linux", arch = "arm64" }'
    )
    assert error('bk.image("a", { platform = { os = "linux", architecture = "arm64" } })') == (
        "build.lua:1:44: bk.image: platform: unknown option 'architecture' (did you mean 'arch'?)"
    )
    assert error('bk.platform("linux", "arm 64")') == (
        "build.lua:1:1: bk.platform: architecture 'arm 64' is not valid (use letters, digits, '_', '.' and '-')"
    )
    assert "bk.export: os/arch/variant: OS 'li nux' is not valid" in error('bk.export(bk.scratch(), { os = "li nux" })')
    assert error("bk.image('a', { platform = 5 })") == (
        'build.lua:1:28: bk.image: platform must be "os/arch[/variant]" like "linux/arm64", '
        "{ os = ..., arch = ... } or bk.platform(...), got number"
    )


def test_platform_value_prints_normalized():
    assert str(Platform("linux", "arm", "v7")) == "linux/arm/v7"
    evaluation = run_script('assert(tostring(bk.platform("linux/armel")) == "linux/arm/v6")\nbk.export(bk.scratch())')
    assert evaluation.ok, evaluation.problems
