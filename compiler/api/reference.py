"""Docker image references, normalized like distribution/reference.

`alpine` -> `docker.io/library/alpine:latest`; `ghcr.io/a/b` -> `ghcr.io/a/b:latest`;
a digest is kept and no tag added. Matches `reference.TagNameOnly(ParseNormalizedNamed(ref))`.
"""

from __future__ import annotations

import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
# Compiled by `re` on first use (its cache), like _DIGEST: a reference without a registry
# (`alpine:3.19`) has no domain to check.
_DOMAIN = (
    r"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*"
    r"|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
# Compiled by `re` on first use (its cache): few references pin a digest.
_DIGEST = r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$"

DEFAULT_DOMAIN = "docker.io"


class ReferenceError(ValueError):
    pass


def normalize(ref: str) -> str:
    """The fully qualified reference, with `:latest` when neither tag nor digest is given."""
    text = ref.strip()
    if not text:
        raise ReferenceError("image reference must not be empty")
    name, digest = text, ""
    if "@" in text:
        name, digest = text.split("@", 1)
        if not re.match(_DIGEST, digest):
            raise ReferenceError(f"invalid digest '{digest}' in image reference '{ref}'")
    tag = ""
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise ReferenceError(f"invalid tag '{tag}' in image reference '{ref}'")
    domain, remainder = _split_domain(name)
    if domain != DEFAULT_DOMAIN and not re.match(_DOMAIN, domain):
        raise ReferenceError(f"invalid registry '{domain}' in image reference '{ref}'")
    if remainder.lower() != remainder:
        raise ReferenceError(f"invalid image reference '{ref}': repository name ({remainder}) must be lowercase")
    if not _PATH.match(remainder):
        raise ReferenceError(f"invalid image reference '{ref}'")
    full = f"{domain}/{remainder}"
    if len(full) > 255:
        raise ReferenceError(f"image reference '{ref}' is longer than 255 characters")
    if tag:
        full += ":" + tag
    if digest:
        full += "@" + digest
    elif not tag:
        full += ":latest"
    return full


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost" and first.lower() == first):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == "index.docker.io":
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder
