"""bk.image, bk.local_, bk.git, bk.http/https, bk.scratch -> SourceOps (docs/llb.md#sources)."""

from __future__ import annotations

import posixpath
import re

from compiler.api import values as v
from compiler.api.call import Call, ImageResolveError, RegistryUnreachable
from compiler.api.reference import ReferenceError, normalize
from compiler.errors import ProblemKind
from compiler.graph import nodes as g
from compiler.graph.platform import Platform

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (docs/performance.md#cold-start)
if TYPE_CHECKING:
    from typing import Any

IMAGE_OPTIONS: dict[str, v.Reader] = {
    "platform": v.platform,
    "resolve_mode": v.one_of("default", "pull", "local"),
    "resolve_digest": v.boolean,
}


def image(call: Call, ref: Any = None, opts: Any = None) -> g.State:
    text = v.check(call, "ref", v.nonempty_string, ref)
    options = v.options(call, opts, IMAGE_OPTIONS)
    if text.startswith("docker-image://"):
        text = text[len("docker-image://") :]
    try:
        name = normalize(text)
    except ReferenceError as exc:
        raise call.error(str(exc)) from None
    attrs: list[tuple[str, str]] = []
    caps = ["source.image"]
    mode = options.get("resolve_mode", "default")
    if mode != "default":
        attrs.append(("image.resolvemode", mode))
        if mode == "pull":
            caps.append("source.image.resolvemode")
    platform = call.node_platform(options.get("platform"))
    identifier = "docker-image://" + name
    defaults = _resolve(call, identifier, platform) if options.get("resolve_digest", True) else None
    if defaults is not None and defaults.digest and "@" not in name:
        # Like Dockerfile FROM: build on exactly the image whose config was read (docs/llb.md#image-configs).
        identifier = f"{identifier}@{defaults.digest}"
    node = g.SourceNode(identifier, tuple(attrs), tuple(caps), platform, call.location)
    return g.State(g.Ref(node), platform=platform, image=defaults)


def _resolve(call: Call, identifier: str, platform: Platform | None) -> g.ImageDefaults | None:
    """The image's config for later steps (Dockerfile FROM): env, workdir, user, and the pinned digest."""
    try:
        return call.session.resolver.resolve(identifier, platform)
    except RegistryUnreachable as err:
        call.warn(
            f"{err}; later steps get the default PATH and working directory "
            "(the daemon may still pull the image; pass --no-resolve to skip the lookup)",
            ProblemKind.REGISTRY,
        )
        return None
    except ImageResolveError as err:
        raise call.error(str(err)) from None


def scratch(call: Call, *extra: Any) -> g.State:
    if any(arg is not None for arg in extra):
        raise call.error("takes no arguments")
    return g.State(None, platform=call.session.target)


# Compiled by `re` on first use (its cache), like _SCP_LIKE: only bk.local needs it.
_LOCAL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"

LOCAL_OPTIONS: dict[str, v.Reader] = {
    "include": v.string_list,
    "exclude": v.string_list,
    "shared_key_hint": v.string,
    "follow_paths": v.string_list,
}


def _go_json(items: tuple[str, ...]) -> str:
    """JSON like Go's json.Marshal of a []string (compact, HTML characters escaped)."""
    import json  # only locals with patterns need it (start-up: docs/performance.md)

    text = json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def local(call: Call, name: Any = None, opts: Any = None) -> g.State:
    text = v.check(call, "name", v.nonempty_string, name)
    if not re.match(_LOCAL_NAME, text) or len(text) > 256:
        raise call.error(
            f"invalid local name '{text}': use letters, digits, '.', '_' or '-' (the NAME of buildctl --local NAME=DIR)"
        )
    options = v.options(call, opts, LOCAL_OPTIONS)
    attrs: list[tuple[str, str]] = []
    caps = ["source.local"]
    for key, attr, cap in (
        ("include", "local.includepattern", "source.local.includepatterns"),
        ("exclude", "local.excludepatterns", "source.local.excludepatterns"),
        ("follow_paths", "local.followpaths", "source.local.followpaths"),
    ):
        if options.get(key):
            attrs.append((attr, _go_json(options[key])))
            caps.append(cap)
    if options.get("shared_key_hint"):
        attrs.append(("local.sharedkeyhint", options["shared_key_hint"]))
        caps.append("source.local.sharedkeyhint")
    # No local.unique: llb sets a random one per marshal, which would make our
    # output differ run to run; the daemon ignores it.
    node = g.SourceNode("local://" + text, tuple(sorted(attrs)), tuple(caps), None, call.location)
    return g.State(g.Ref(node), platform=call.session.target)


GIT_OPTIONS: dict[str, v.Reader] = {
    "ref": v.nonempty_string,
    "subdir": v.nonempty_string,
    "keep_git_dir": v.boolean,
    "checksum": v.nonempty_string,
    "skip_submodules": v.boolean,
    "auth_token_secret": v.nonempty_string,
    "auth_header_secret": v.nonempty_string,
    "known_ssh_hosts": v.string,
    "mount_ssh_sock": v.nonempty_string,
}

# Optional git options: (option, BuildKit attr, cap). Booleans become "true".
_GIT_ATTRS = (
    ("keep_git_dir", "git.keepgitdir", "source.git.keepgitdir"),
    ("checksum", "git.checksum", "source.git.checksum"),
    ("skip_submodules", "git.skipsubmodules", "source.git.skipsubmodules"),
    ("known_ssh_hosts", "git.knownsshhosts", "source.git.knownsshhosts"),
)

_SCP_LIKE = r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$"


def _parse_git_url(url: str) -> tuple[str, str, str, bool]:
    """(remote url, host, path, is_ssh) like BuildKit's gitutil.ParseURL."""
    if "://" not in url:
        scp = re.match(_SCP_LIKE, url)
        if scp and "." not in url.split(":", 1)[0].split("@")[-1] and "@" not in url:
            scp = None
        if scp:
            return url, scp.group("host"), scp.group("path"), True
        url = "https://" + url
    from urllib.parse import urlsplit  # here: with ipaddress, ~3 ms of a start that calls no bk.git

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid git URL '{url}' ({exc})") from None
    if parts.scheme not in ("http", "https", "git", "ssh", "git+ssh", "file"):
        raise ValueError(f"unsupported git URL scheme '{parts.scheme}' (use https, http, git, ssh or user@host:path)")
    if not parts.netloc and parts.scheme != "file":
        raise ValueError("git URL must have a host")
    remote = url.split("#", 1)[0]
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return remote, host, parts.path, parts.scheme in ("ssh", "git+ssh")


def git(call: Call, url: Any = None, opts: Any = None) -> g.State:
    text = v.check(call, "url", v.nonempty_string, url)
    options = v.options(call, opts, GIT_OPTIONS)
    fragment = ""
    if "#" in text:
        text, fragment = text.split("#", 1)
    ref, _, subdir = fragment.partition(":")
    if options.get("ref"):
        if ref and ref != options["ref"]:
            raise call.error(f"the URL names ref '{ref}' but options name ref '{options['ref']}'")
        ref = options["ref"]
    subdir = options.get("subdir", subdir).strip("/")
    try:
        remote, host, path, is_ssh = _parse_git_url(text)
    except ValueError as exc:
        raise call.error(str(exc)) from None
    # llb: host + path.Join("/", path), so "repo.git/" and "a//b" name the same source as "repo.git", "a/b".
    identifier = "git://" + host + posixpath.normpath("/" + path.lstrip("/"))
    if ref or subdir:
        identifier += "#" + ref + (":" + subdir if subdir else "")
    attrs = {
        "git.fullurl": remote,
        "git.authtokensecret": options.get("auth_token_secret", "GIT_AUTH_TOKEN"),
        "git.authheadersecret": options.get("auth_header_secret", "GIT_AUTH_HEADER"),
    }
    caps = ["source.git", "source.git.fullurl"]
    if "auth_token_secret" in options or "auth_header_secret" in options:
        caps.append("source.git.httpauth")
    if options.get("known_ssh_hosts"):
        # llb's KnownSSHHosts ends each known_hosts text with exactly one newline.
        options["known_ssh_hosts"] = options["known_ssh_hosts"].removesuffix("\n") + "\n"
    for key, attr, cap in _GIT_ATTRS:
        value = options.get(key)
        if value:
            attrs[attr] = "true" if value is True else value
            caps.append(cap)
    if is_ssh or "mount_ssh_sock" in options:
        attrs["git.mountsshsock"] = options.get("mount_ssh_sock", "default")
        caps.append("source.git.mountsshsock")
    node = g.SourceNode(identifier, tuple(sorted(attrs.items())), tuple(caps), None, call.location)
    return g.State(g.Ref(node), platform=call.session.target)


def _checksum(value: Any) -> str:
    text = v.string(value)
    if not re.match(r"^sha(256:[0-9a-f]{64}|384:[0-9a-f]{96}|512:[0-9a-f]{128})$", text):
        raise v.Invalid(f"must be a digest like 'sha256:<64 hex digits>', got {v.shown(text)}")
    return text


def _header_name(name: str) -> str:
    # BuildKit's http source sends only these two (http.header.accept, http.header.user-agent).
    if name.lower() not in ("accept", "user-agent"):
        raise v.Invalid(
            "BuildKit only sends the Accept and User-Agent headers; use auth_header_secret for Authorization",
            clause=True,
        )
    return name.lower()


def _chmod(value: Any) -> int | v.Warned:
    mode = v.permissions(value)
    if (mode.value if isinstance(mode, v.Warned) else mode) == 0:
        # BuildKit takes http.perm 0 as "not set" and gives the file 0600.
        raise v.Invalid('must not be 0: BuildKit reads 0 as "not set" and gives the file mode 0600')
    return mode


HTTP_OPTIONS: dict[str, v.Reader] = {
    "checksum": _checksum,
    "filename": v.nonempty_string,
    "chmod": _chmod,
    "uid": v.numeric_id,
    "gid": v.numeric_id,
    "headers": v.mapping(_header_name, v.text, 'a table like { Accept = "application/json" }'),
    "auth_header_secret": v.nonempty_string,
}


def http(call: Call, url: Any = None, opts: Any = None) -> g.State:
    text = v.check(call, "url", v.nonempty_string, url)
    from urllib.parse import urlsplit  # here: with ipaddress, ~3 ms of a start that calls no bk.http

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as exc:
        raise call.error(f"{v.shown(text)} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise call.error(f"{v.shown(text)} is not an http:// or https:// URL")
    if isinstance(opts, v.Table) and ("username" in opts.items or "password" in opts.items):
        # The Go luakit took these and sent nothing: say why, and what works.
        raise call.error(
            "username/password are not supported: BuildKit has no basic-auth option and they would be stored "
            "in the build definition in clear text; store an Authorization header in a secret and pass its id as "
            "auth_header_secret"
        )
    options = v.options(call, opts, HTTP_OPTIONS)
    attrs: dict[str, str] = {}
    caps = ["source.http"]
    if "checksum" in options:
        attrs["http.checksum"] = options["checksum"]
        caps.append("source.http.checksum")
    if "filename" in options:
        if "/" in options["filename"]:
            raise call.error("filename must be a plain file name, without '/'")
        attrs["http.filename"] = options["filename"]
    if "chmod" in options:
        attrs["http.perm"] = "0" + format(options["chmod"], "o")
        caps.append("source.http.perm")
    if options.get("uid"):
        attrs["http.uid"] = str(options["uid"])
    if options.get("gid"):
        attrs["http.gid"] = str(options["gid"])
    if options.get("uid") or options.get("gid"):
        caps.append("soruce.http.uidgid")  # sic: BuildKit's own cap id has this typo
    for name, value in options.get("headers", {}).items():
        attrs["http.header." + name] = value
        caps.append("source.http.header")
    if "auth_header_secret" in options:
        attrs["http.authheadersecret"] = options["auth_header_secret"]
        caps.append("source.http.auth")
    node = g.SourceNode(text, tuple(sorted(attrs.items())), tuple(caps), None, call.location)
    return g.State(g.Ref(node), platform=call.session.target)
