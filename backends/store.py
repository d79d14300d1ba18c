"""Model files on workers: fetched from any Beam FileSystems path, checked against a manifest.

A model directory holds `manifest.json` with the sha256 of each of its files (`"files"`).
A worker process calls `local_model_dir(path)` from a DoFn's `setup()`: a remote model
(`gs://`, `s3://`, `hdfs://`, ...) is copied to local disk once per process, verified, and
only then published (renamed into place) in a per-machine cache, so the other processes of
the machine reuse it; a local model (or one baked into the worker image) is verified where
it lies. A file that is missing or differs from the manifest fails the load with a message
naming it, before CTranslate2 sees a byte of it.

    python -m backends.store DIR [--model_id ID]

writes `DIR/manifest.json` for a converted model, before it is uploaded.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.localfilesystem import LocalFileSystem

from core.errors import ConfigError
from core.names import File, ManifestKey

if TYPE_CHECKING:
    from backends.settings import ModelSettings

MANIFEST = File.MODEL_MANIFEST

CACHE_ROOT = Path(tempfile.gettempdir()) / "corpus-translate-models"

_prepared: dict[str, str] = {}
_prepared_lock = threading.Lock()


class ModelVerificationError(RuntimeError):
    """The model's files do not match its manifest (or a remote model has no manifest)."""


def model_checksums(path: str) -> dict[str, str]:
    """sha256 of every file in the model directory (run.json, manifest checks, settings
    fingerprint). A file is hashed again only when its size or mtime changed, so the
    several checks of one run read a multi-GB model once."""
    sums = {}
    for file in sorted(Path(path).iterdir()):
        if file.is_file():
            stat = file.stat()
            sums[file.name] = _file_sha256(str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    return sums


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """`size` and `mtime_ns` are only part of the cache key."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_id(path: str) -> str:
    """The manifest's `model_id`, or the directory name for a model without one."""
    manifest = read_manifest(path)
    if manifest is not None:
        return manifest[ManifestKey.MODEL_ID]
    return Path(path).resolve().name


def is_local(path: str) -> bool:
    return isinstance(FileSystems.get_filesystem(path), LocalFileSystem)


def _read_bytes(path: str) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return handle.read()


def read_manifest(path: str) -> dict[str, Any] | None:
    """The model's manifest.json (any FileSystems path), or None if it has none."""
    location = FileSystems.join(path, MANIFEST)
    if not FileSystems.exists(location):
        return None
    return json.loads(_read_bytes(location))


def manifest_settings(path: str) -> dict[str, Any]:
    """The model settings its manifest states: input and decoding limits, source and target
    languages (none if it has no manifest or it cannot be read). Only a local model's: the
    launcher of a cluster run need not reach the model's bucket (and a dry run cannot)."""
    if not is_local(path):
        return {}
    try:
        manifest = read_manifest(path) or {}
    except (OSError, ValueError) as exc:
        logging.getLogger(__name__).debug("no manifest settings for %s: %s", path, exc)
        return {}
    found: dict[str, Any] = {}
    for key in (ManifestKey.MAX_INPUT_TOKENS, ManifestKey.MAX_DECODING_LENGTH):
        if isinstance(manifest.get(key), int):
            found[key] = manifest[key]
    sources = manifest.get(ManifestKey.SOURCE_LANGUAGES, manifest.get(ManifestKey.LANGUAGES))
    for key, value in (
        (ManifestKey.SOURCE_LANGUAGES, sources),
        (ManifestKey.TARGET_LANGUAGES, manifest.get(ManifestKey.TARGET_LANGUAGES)),
    ):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            found[key] = value
    return found


def verify_model_dir(directory: Path, manifest: dict[str, Any]) -> None:
    """Raises ModelVerificationError naming every file that is missing or differs."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelVerificationError(
            f'the {MANIFEST} of model {directory} lists no files (a "files": '
            "{name: sha256} map, as `make convert` writes it)"
        )
    actual = model_checksums(str(directory))
    problems = []
    for name, expected in sorted(files.items()):
        if name not in actual:
            problems.append(f"{name} is missing")
        elif actual[name] != expected:
            problems.append(f"{name} has sha256 {actual[name]}, manifest says {expected}")
    if problems:
        raise ModelVerificationError(
            f"model {directory} does not match its {MANIFEST}: " + "; ".join(problems)
        )


def _copy_files(source: str, destination: Path, names: list[str]) -> None:
    for name in names:
        with (
            FileSystems.open(
                FileSystems.join(source, name), compression_type=CompressionTypes.UNCOMPRESSED
            ) as reader,
            (destination / name).open("wb") as writer,
        ):
            shutil.copyfileobj(reader, writer, 1 << 20)


def prepare_model(path: str, cache_root: Path, copy: bool) -> str:
    """A local directory holding the model at `path`, verified against its manifest.

    With `copy`, the files are copied under `cache_root` (keyed by the manifest's
    digest) and verified before they are renamed into place, so a half-written or
    corrupted copy is never reused; without, the model is verified where it lies.
    """
    manifest = read_manifest(path)
    if manifest is None:
        if not copy:
            logging.warning("model %s has no %s: loaded without verification", path, MANIFEST)
            return path
        raise ModelVerificationError(
            f"model {path} has no {MANIFEST}, so its copy cannot be verified; write one with "
            f"`python -m backends.store LOCAL_DIR` before uploading the model"
        )
    if not copy:
        verify_model_dir(Path(path), manifest)
        return path
    key = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()[:20]
    destination = cache_root / key
    if not destination.exists():
        cache_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_root))
        try:
            _copy_files(path, staging, [*manifest[ManifestKey.FILES], MANIFEST])
            verify_model_dir(staging, manifest)
            staging.rename(destination)
            return str(destination)  # verified above, as the staging copy
        except OSError:
            if not destination.exists():
                raise
            # another process of this machine published the same model first
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    verify_model_dir(destination, manifest)
    return str(destination)


def local_model_dir(path: str) -> str:
    """`prepare_model` once per process and path: remote models are copied, local ones not."""
    with _prepared_lock:
        if path not in _prepared:
            _prepared[path] = prepare_model(path, CACHE_ROOT, copy=not is_local(path))
        return _prepared[path]


def check_manifest(model: ModelSettings, key: str) -> None:
    """A model directory with a manifest.json must hold exactly the files it lists, and
    the settings must fit the model it describes; raises ConfigError naming `key`."""
    if not is_local(model.path):
        return  # workers verify their copy
    manifest = read_manifest(model.path)
    if manifest is None:
        return
    try:
        verify_model_dir(Path(model.path), manifest)
    except ModelVerificationError as exc:
        raise ConfigError(
            f"{key}.path: {exc}: the model directory is incomplete or was changed after "
            "conversion; copy it again or re-run `make convert`"
        ) from exc
    if "style" in manifest and manifest[ManifestKey.STYLE] != model.style:
        raise ConfigError(
            f"{key}.style: {model.style!r}, but {model.path}/{MANIFEST} says the model is "
            f"{manifest[ManifestKey.STYLE]!r}; set `style: {manifest[ManifestKey.STYLE]}`"
        )
    for setting in ("max_input_tokens", "max_decoding_length"):
        limit, value = manifest.get(setting), getattr(model, setting)
        if limit is not None and value > limit:
            raise ConfigError(
                f"{key}.{setting}: {value} is more than the model takes ({limit}, from its "
                f"{MANIFEST}); set it to {limit} or less"
            )


def recorded_checksums(path: str) -> dict[str, str]:
    """sha256 of the model's files for run.json: computed for a local model; for a remote
    one, the manifest's (each worker verified its copy against them)."""
    if is_local(path):
        return model_checksums(path)
    return (read_manifest(path) or {}).get("files", {})


def write_manifest(directory: Path, model_id: str) -> dict[str, Any]:
    """Writes manifest.json (model_id and every file's sha256) for a model directory."""
    files = model_checksums(str(directory))
    files.pop(MANIFEST, None)
    manifest = {"model_id": model_id, "files": files}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write manifest.json for a model directory.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--model_id", help="default: the directory name")
    args = parser.parse_args(argv)
    manifest = write_manifest(args.directory, args.model_id or args.directory.resolve().name)
    count = len(manifest[ManifestKey.FILES])
    print(f"wrote {args.directory / MANIFEST}: {manifest[ManifestKey.MODEL_ID]}, {count} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
