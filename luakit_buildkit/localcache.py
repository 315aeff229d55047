"""`type=local` build caches: an OCI layout directory on the client's side (docs/cli.md, buildx caches).

What buildctl's client does around the Solve (BuildKit's client/solve.go), so that a cache
written by either is read by the other:

- an import (`--cache-from type=local,src=DIR[,tag=T|digest=D]`) gets the `digest` of the
  manifest `DIR/index.json` tags `T` (default `latest`), and that blob must be there; an
  import that cannot be used raises `CacheSkipped` (the build runs without it, as buildx's);
- an export (`--cache-to type=local,dest=DIR[,tag=T][,reset=true]`) gets its directory made;
- both are served to the daemon as content stores (contentstore.py) named `store_id(DIR)`;
  the other attributes (`mode`, `compression`, `ignore-error`, `image-manifest`, …) are the
  daemon's and pass through;
- after the Solve, the `cache.manifest` descriptor the daemon answers goes into each export's
  `index.json` under its tag, replacing the manifest tagged so before, with `oci-layout`
  beside it; `reset=true` then deletes the blobs no manifest of `index.json` reaches.

`index.json` is read and written under buildctl's lock (`index.json.lock`, flock) and
replaced by a rename, so a reader never sees half of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from luakit_buildkit.contentstore import blob_path
from luakit_buildkit.files import write_atomically

STORE_PREFIX = "local:"
# The exporter response's key for the descriptor of the cache's manifest.
MANIFEST_KEY = "cache.manifest"
DEFAULT_TAG = "latest"
_INDEX, _LAYOUT, _LOCK = "index.json", "oci-layout", "index.json.lock"
_REF_NAME = "org.opencontainers.image.ref.name"
_IMAGE_NAME = "io.containerd.image.name"
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
_MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
# Go's strconv.ParseBool, which the daemon and buildctl read these attributes with.
_BOOLS = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
          **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False)}


class CacheSkipped(Exception):
    """An import with nothing to import; `str()` is the warning, in buildx's words."""


def store_id(directory: str) -> str:
    """The content store's name in the session: what the daemon makes of the `src`/`dest` we send."""
    return STORE_PREFIX + directory


def import_attrs(attrs: Mapping[str, str]) -> dict[str, str]:
    """The import's attributes for the daemon, with the `digest` of its manifest.

    ValueError: not an import the daemon could take (no `src`, an empty `tag`);
    CacheSkipped: no cache there (no directory, no index.json, nothing tagged so, no such blob).
    """
    src = attrs.get("src", "")
    if not src:
        raise ValueError("type=local needs src=DIR")
    directory = Path(src)

    def skipped(reason: str) -> CacheSkipped:
        return CacheSkipped(f"local cache import at {src} skipped: {reason}")

    if not directory.is_dir():
        raise skipped("no such directory")
    digest = attrs.get("digest", "")
    if not digest:
        tag = attrs.get("tag", DEFAULT_TAG)
        if not tag:
            raise ValueError("type=local needs a tag (default latest) or digest=…")
        try:
            with _index_lock(directory, exclusive=False):
                index = _read_index(directory)
        except FileNotFoundError:
            raise skipped(f"no {_INDEX} in it (not a cache --cache-to type=local wrote)") from None
        except (OSError, ValueError) as exc:
            raise skipped(f"{directory / _INDEX}: {getattr(exc, 'strerror', None) or exc}") from None
        found = _tagged(index, tag)
        if found is None:
            raise skipped(f"nothing tagged {tag!r} in its {_INDEX}")
        digest = str(found.get("digest", ""))
    try:
        present = blob_path(directory, digest).is_file()
    except ValueError:
        raise skipped(f"{digest!r} is not a digest") from None
    if not present:
        raise skipped(f"{digest} is not in it")
    return {**attrs, "digest": digest}


def export_directory(attrs: Mapping[str, str]) -> Path:
    """The export's directory, made if missing; ValueError for attributes buildctl refuses."""
    dest = attrs.get("dest", "")
    if not dest:
        raise ValueError("type=local needs dest=DIR")
    if "reset" in attrs and attrs["reset"] not in _BOOLS:
        raise ValueError(f"reset={attrs['reset']}: expected true or false")
    try:
        Path(dest).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the cache directory {dest}: {exc.strerror or exc}") from None
    return Path(dest)


def record_exports(exporter_response: Mapping[str, str], exports: Sequence[Mapping[str, str]]) -> list[str]:
    """After the Solve: tag the daemon's cache manifest in each export's index.json, then reset.

    Returns warnings (a reset that could not tell what to keep deletes nothing); OSError or
    ValueError when an index.json cannot be written.
    """
    described = exporter_response.get(MANIFEST_KEY)
    if described:  # none when nothing was exported (an empty result, or ignore-error)
        descriptor = json.loads(described)
        for attrs in exports:
            _put(Path(attrs["dest"]), descriptor, attrs.get("tag", DEFAULT_TAG))
    warnings = []
    for attrs in exports:
        if _BOOLS.get(attrs.get("reset", "false"), False):
            try:
                _reset(Path(attrs["dest"]))
            except (OSError, ValueError, KeyError) as exc:
                warnings.append(f"reset of the local cache at {attrs['dest']} skipped: {exc}")
    return warnings


def _tagged(index: Mapping[str, Any], tag: str) -> Mapping[str, Any] | None:
    """The manifest named `tag`: by image name first, then by OCI ref name (as buildctl looks)."""
    manifests = index.get("manifests") or []
    for key in (_IMAGE_NAME, _REF_NAME):
        for manifest in manifests:
            if (manifest.get("annotations") or {}).get(key) == tag:
                return manifest  # type: ignore[no-any-return]
    return None


def _put(directory: Path, descriptor: Mapping[str, Any], tag: str) -> None:
    with _index_lock(directory, exclusive=True):
        write_atomically(directory / _LAYOUT, b'{"imageLayoutVersion":"1.0.0"}')
        try:
            index = _read_index(directory)
        except FileNotFoundError:
            index = {}
        index.setdefault("schemaVersion", 2)
        index.setdefault("mediaType", _INDEX_TYPES[0])
        annotations = {**(descriptor.get("annotations") or {}), _REF_NAME: tag}
        entry = {**descriptor, "annotations": dict(sorted(annotations.items()))}
        kept = [
            m for m in index.get("manifests") or []
            if (m.get("annotations") or {}).get(_REF_NAME) != tag or (m.get("annotations") or {}).get(_IMAGE_NAME)
        ]
        index["manifests"] = [*kept, entry]
        write_atomically(directory / _INDEX, json.dumps(index, separators=(",", ":"), ensure_ascii=False).encode())


def _reset(directory: Path) -> None:
    """Delete the blobs that no manifest of index.json reaches (config, layers, nested manifests)."""
    index = _read_index(directory)
    reached: set[str] = set()
    pending = list(index.get("manifests") or [])
    while pending:
        descriptor = pending.pop()
        digest = descriptor["digest"]
        if digest in reached:
            continue
        reached.add(digest)
        media_type = descriptor.get("mediaType")
        if media_type in _MANIFEST_TYPES:
            manifest = json.loads(blob_path(directory, digest).read_bytes())
            pending.extend([manifest["config"], *(manifest.get("layers") or [])])
        elif media_type in _INDEX_TYPES:
            pending.extend(json.loads(blob_path(directory, digest).read_bytes()).get("manifests") or [])
    blobs = directory / "blobs"
    for algorithm in sorted(blobs.iterdir()) if blobs.is_dir() else ():
        for blob in sorted(algorithm.iterdir()):
            if f"{algorithm.name}:{blob.name}" not in reached:
                blob.unlink()


def _read_index(directory: Path) -> dict[str, Any]:
    index = json.loads((directory / _INDEX).read_bytes())
    if not isinstance(index, dict):
        raise ValueError("not an OCI image index")
    return index


@contextlib.contextmanager
def _index_lock(directory: Path, *, exclusive: bool) -> Iterator[None]:
    """buildctl's lock on index.json; a directory we may not write is read unlocked, as buildctl does."""
    try:
        fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if exclusive:
            raise
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        # As buildctl does: the directory keeps nothing but the layout.
        with contextlib.suppress(OSError):
            os.unlink(directory / _LOCK)
