"""bk.image, bk.local_, bk.git, bk.http, bk.scratch: identifiers, attrs, caps, platform."""

import json

import pytest

from tests.helpers import build, error


@pytest.mark.parametrize(
    "ref, identifier",
    [
        ("alpine", "docker-image://docker.io/library/alpine:latest"),
        ("alpine:3.19", "docker-image://docker.io/library/alpine:3.19"),
        ("ghcr.io/foo/bar", "docker-image://ghcr.io/foo/bar:latest"),
        ("user/repo:1", "docker-image://docker.io/user/repo:1"),
        ("127.0.0.1:5000/busybox", "docker-image://127.0.0.1:5000/busybox:latest"),
        ("localhost/x", "docker-image://localhost/x:latest"),
        ("alpine@sha256:" + "a" * 64, "docker-image://docker.io/library/alpine@sha256:" + "a" * 64),
        ("alpine:3.19@sha256:" + "b" * 64, "docker-image://docker.io/library/alpine:3.19@sha256:" + "b" * 64),
        ("docker-image://alpine:3", "docker-image://docker.io/library/alpine:3"),
    ],
)
def test_image_refs_are_normalized_like_docker(ref, identifier):
    d = build(f'bk.export(bk.image("{ref}"))')
    assert d.one("source").source.identifier == identifier


def test_image_bad_refs():
    assert "must be lowercase" in error('bk.export(bk.image("Alpine"))')
    assert "invalid image reference 'alpine:a:b'" in error('bk.export(bk.image("alpine:a:b"))')
    assert "invalid tag" in error('bk.export(bk.image("alpine:-x"))')
    assert "invalid registry 'exa_mple.com'" in error('bk.export(bk.image("exa_mple.com/foo"))')
    assert "invalid digest" in error('bk.export(bk.image("alpine@sha256:xyz"))')
    assert error('bk.image("")') == "build.lua:1:10: bk.image: ref must not be empty"


def test_image_has_no_attrs_and_source_image_cap_by_default():
    d = build('bk.export(bk.image("alpine"))')
    op = d.one("source")
    assert dict(op.source.attrs) == {}
    assert d.caps(op) == {"source.image"}
    assert not op.HasField("platform")
    assert op.HasField("constraints")


def test_image_resolve_mode():
    d = build('bk.export(bk.image("alpine", { resolve_mode = "pull" }))')
    op = d.one("source")
    assert dict(op.source.attrs) == {"image.resolvemode": "pull"}
    assert d.caps(op) == {"source.image", "source.image.resolvemode"}
    d = build('bk.export(bk.image("alpine", { resolve_mode = "local" }))')
    assert dict(d.one("source").source.attrs) == {"image.resolvemode": "local"}
    assert "resolve_mode must be one of 'default', 'pull', 'local', got 'always'" in error(
        'bk.image("alpine", { resolve_mode = "always" })'
    )


@pytest.mark.parametrize(
    "spec, os, arch, variant",
    [
        ('"linux/arm64"', "linux", "arm64", ""),
        ('"linux/arm/v7"', "linux", "arm", "v7"),
        ('{ os = "linux", arch = "aarch64" }', "linux", "arm64", ""),
        ('bk.platform("linux", "arm")', "linux", "arm", "v7"),
        ('bk.platform("linux/amd64")', "linux", "amd64", ""),
    ],
)
def test_image_platform_lands_on_the_source_and_derived_execs(spec, os, arch, variant):
    d = build(f'bk.export(bk.image("alpine", {{ platform = {spec} }}):run("true"))')
    for op in (d.one("source"), d.one("exec")):
        assert (op.platform.OS, op.platform.Architecture, op.platform.Variant) == (os, arch, variant)


def test_global_target_platform():
    from compiler.graph.platform import parse

    d = build('bk.export(bk.image("alpine"):run("true"):mkdir("/x"))', target_platform=parse("linux/arm64"))
    assert d.one("source").platform.Architecture == "arm64"
    assert d.one("exec").platform.Architecture == "arm64"
    assert not d.one("file").HasField("platform")  # llb never puts platform on FileOps


def test_local_attrs_use_buildkit_keys():
    d = build(
        """
        bk.export(bk.local_("context", {
          include = { "*.go", "go.mod" }, exclude = { "node_modules", "<x>" },
          shared_key_hint = "ctx", follow_paths = { "a/b" },
        }))
        """
    )
    op = d.one("source")
    assert op.source.identifier == "local://context"
    attrs = dict(op.source.attrs)
    assert attrs == {
        "local.includepattern": '["*.go","go.mod"]',
        "local.excludepatterns": '["node_modules","\\u003cx\\u003e"]',
        "local.sharedkeyhint": "ctx",
        "local.followpaths": '["a/b"]',
    }
    assert json.loads(attrs["local.excludepatterns"]) == ["node_modules", "<x>"]
    assert d.caps(op) == {
        "source.local",
        "source.local.includepatterns",
        "source.local.excludepatterns",
        "source.local.sharedkeyhint",
        "source.local.followpaths",
    }
    assert not op.HasField("platform")


def test_local_name_validation():
    assert "invalid local name '../x'" in error('bk.local_("../x")')
    assert "bk.local_: include[2] must be a string, got number" in error('bk.local_("c", { include = { "a", 1 } })')


@pytest.mark.parametrize(
    "url, opts, identifier, fullurl",
    [
        (
            "https://github.com/moby/buildkit.git",
            "{ ref = 'v0.11.6' }",
            "git://github.com/moby/buildkit.git#v0.11.6",
            "https://github.com/moby/buildkit.git",
        ),
        (
            "github.com/moby/buildkit",
            "{}",
            "git://github.com/moby/buildkit",
            "https://github.com/moby/buildkit",
        ),
        (
            "git@github.com:moby/buildkit.git",
            "{ ref = 'main' }",
            "git://github.com/moby/buildkit.git#main",
            "git@github.com:moby/buildkit.git",
        ),
        (
            "git://127.0.0.1:9418/repo.git",
            "{ ref = 'main', subdir = 'docs' }",
            "git://127.0.0.1:9418/repo.git#main:docs",
            "git://127.0.0.1:9418/repo.git",
        ),
        ("https://example.com/r.git#v1", "{}", "git://example.com/r.git#v1", "https://example.com/r.git"),
    ],
)
def test_git_identifier_and_fullurl(url, opts, identifier, fullurl):
    d = build(f'bk.export(bk.git("{url}", {opts}))')
    op = d.one("source")
    assert op.source.identifier == identifier
    assert op.source.attrs["git.fullurl"] == fullurl
    assert op.source.attrs["git.authtokensecret"] == "GIT_AUTH_TOKEN"
    assert op.source.attrs["git.authheadersecret"] == "GIT_AUTH_HEADER"


def test_git_options():
    d = build(
        """bk.export(bk.git("https://h/r.git", { keep_git_dir = true, checksum = "abc123",
           skip_submodules = true, auth_token_secret = "tok" }))"""
    )
    op = d.one("source")
    attrs = dict(op.source.attrs)
    assert attrs["git.keepgitdir"] == "true"
    assert attrs["git.checksum"] == "abc123"
    assert attrs["git.skipsubmodules"] == "true"
    assert attrs["git.authtokensecret"] == "tok"
    assert {"source.git.keepgitdir", "source.git.httpauth", "source.git.checksum"} <= d.caps(op)
    ssh = build('bk.export(bk.git("git@github.com:a/b.git"))').one("source")
    assert ssh.source.attrs["git.mountsshsock"] == "default"


def test_http_options():
    digest = "sha256:" + "0" * 64
    d = build(
        f"""bk.export(bk.http("https://example.com/a.tgz", {{ checksum = "{digest}", filename = "a.tgz",
            chmod = "0755", uid = 1000, gid = 0, headers = {{ ["User-Agent"] = "luakit" }},
            auth_header_secret = "auth" }}))"""
    )
    op = d.one("source")
    assert op.source.identifier == "https://example.com/a.tgz"
    assert dict(op.source.attrs) == {
        "http.checksum": digest,
        "http.filename": "a.tgz",
        "http.perm": "0755",
        "http.uid": "1000",
        "http.header.user-agent": "luakit",
        "http.authheadersecret": "auth",
    }
    assert d.caps(op) == {
        "source.http",
        "source.http.checksum",
        "source.http.perm",
        "soruce.http.uidgid",
        "source.http.header",
        "source.http.auth",
    }


def test_http_errors():
    assert "checksum must be a digest like 'sha256:<64 hex digits>'" in error(
        'bk.http("http://h/x", { checksum = "md5:1" })'
    )
    assert "only sends the Accept and User-Agent" in error(
        'bk.http("http://h/x", { headers = { Authorization = "x" } })'
    )
    assert "not an http:// or https:// URL" in error('bk.https("ftp://h/x")')
    assert "username/password are not supported" in error('bk.http("http://h/x", { username = "a", password = "b" })')


def test_numeric_chmod_is_taken_as_given():
    d = build('bk.export(bk.http("http://h/x", { chmod = 493 }))')
    assert d.one("source").source.attrs["http.perm"] == "0755"
