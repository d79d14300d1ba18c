"""Convert a Hugging Face translation model into a model directory the pipeline reads.

    make convert MODEL=Helsinki-NLP/opus-mt-de-en          # OPUS-MT (Marian): one pair
    make convert MODEL=facebook/nllb-200-distilled-600M    # NLLB-200
    make convert MODEL=facebook/m2m100_418M                # M2M-100
    python -m tools.convert_model MODEL [--out models/NAME] [--quantization int8]

MODEL is a Hub id (downloaded, so it needs internet access) or a local directory with
`config.json`, the weights and the tokenizer files. The output directory holds the
CTranslate2 model (`ctranslate2.converters.TransformersConverter`, int8 by default), the
SentencePiece model(s) as `source.spm` and `target.spm` (NLLB and M2M-100 ship one
`sentencepiece.bpe.model`: it is copied under both names, so the defaults find it) and
`manifest.json` in the format of `tools/build_test_models.py` (model_id, description,
max_input_tokens, languages, files = sha256 of every other file) plus style,
language_tokens (the target-prefix token per language) and how it was converted. It ends
by printing the `models:`/`routes:` config to paste.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from backends.store import MANIFEST, model_checksums
from core.names import ManifestKey
from text.languages import NLLB_CODES

SPM_FILES = ("source.spm", "target.spm")
MULTILINGUAL_SPM = "sentencepiece.bpe.model"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
SMALL_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "added_tokens.json",
    "vocab.json",
    *SPM_FILES,
    MULTILINGUAL_SPM,
)
# Settings the printed config must lower for a model with fewer positions.
_OPUS_PAIR = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})$")
_M2M_TOKEN = re.compile(r"__([a-z]{2,3})__$")


class ConvertError(RuntimeError):
    """What went wrong and what to do about it."""


def fetch(model: str) -> Path:
    """A local directory with the model's files: `model` itself, or a Hub download."""
    if Path(model).is_dir():
        return Path(model)
    import huggingface_hub

    try:
        names = {s.rfilename for s in huggingface_hub.HfApi().model_info(model).siblings}
        weights = next((w for w in WEIGHT_FILES if w in names), None)
        if weights is None:
            raise ConvertError(f"{model} has none of {', '.join(WEIGHT_FILES)} on the Hub")
        wanted = [name for name in (*SMALL_FILES, weights) if name in names]
        return Path(huggingface_hub.snapshot_download(model, allow_patterns=wanted))
    except ConvertError:
        raise
    except Exception as exc:  # noqa: BLE001 - network, auth, missing repo: all end here
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise ConvertError(
            f"cannot download {model} from the Hugging Face Hub ({type(exc).__name__}: "
            f"{reason}). `make convert` needs internet access where it runs: convert on a "
            "machine that has it and copy the model directory here, or pass a local "
            "directory with config.json, the weights and the tokenizer files "
            "(make convert MODEL=path/to/model)"
        ) from exc


def model_style(source: Path) -> str:
    """'pair' (Marian), 'nllb' or 'm2m', from config.json and the tokenizer class."""
    config = json.loads((source / "config.json").read_text())
    model_type = config.get("model_type")
    if model_type == "marian":
        return "pair"
    if model_type == "m2m_100":
        tokenizer = source / "tokenizer_config.json"
        name = (
            json.loads(tokenizer.read_text()).get("tokenizer_class", "")
            if tokenizer.exists()
            else ""
        )
        return "nllb" if "nllb" in name.lower() else "m2m"
    raise ConvertError(
        f"{source}: model_type {model_type!r} is not a translation model this pipeline "
        "takes (Marian/OPUS-MT, NLLB-200 or M2M-100)"
    )


def pair_languages(model: str, source: Path) -> list[str]:
    """[source, target] of a Marian model: its tokenizer config, else its OPUS-MT name."""
    tokenizer = source / "tokenizer_config.json"
    settings = json.loads(tokenizer.read_text()) if tokenizer.exists() else {}
    source, target = settings.get("source_lang"), settings.get("target_lang")
    if source and target:
        return [source, target]
    match = _OPUS_PAIR.search(model.rstrip("/"))
    return [match.group(1), match.group(2)] if match else []


def language_tokens(style: str, vocabulary: set[str]) -> dict[str, str]:
    """ISO 639-1 code → the model's language token, for the tokens its vocabulary has."""
    if style == "nllb":
        return {iso: token for iso, token in NLLB_CODES.items() if token in vocabulary}
    if style == "m2m":
        found = (_M2M_TOKEN.match(token) for token in vocabulary)
        return {m.group(1): m.group(0) for m in sorted(found, key=str) if m}
    return {}


def _vocabulary(model_dir: Path) -> set[str]:
    tokens: set[str] = set()
    for path in model_dir.glob("*vocabulary*"):
        text = path.read_text(encoding="utf-8")
        tokens.update(json.loads(text) if path.suffix == ".json" else text.splitlines())
    return tokens


def convert(model: str, out: Path, quantization: str = "int8") -> dict:
    """Converts `model` into `out` (replacing it once complete); returns the manifest."""
    from ctranslate2.converters import TransformersConverter

    source = fetch(model)
    style = model_style(source)
    spm = SPM_FILES if style == "pair" else (MULTILINGUAL_SPM,)
    missing = [name for name in spm if not (source / name).exists()]
    if missing:
        raise ConvertError(f"{source} has no {', '.join(missing)}: the pipeline needs them")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        TransformersConverter(str(source)).convert(
            str(staging), quantization=quantization, force=True
        )
        for name in SPM_FILES:
            shutil.copyfile(
                source / (name if style == "pair" else MULTILINGUAL_SPM), staging / name
            )
        positions = json.loads((source / "config.json").read_text())["max_position_embeddings"]
        max_input_tokens = positions
        if style == "pair":
            # Marian inputs end with </s>; the pipeline gives pieces only, so CTranslate2
            # appends it (the same option the hand-built test models use).
            ct2_config = json.loads((staging / "config.json").read_text())
            ct2_config["add_source_eos"] = True
            (staging / "config.json").write_text(json.dumps(ct2_config, indent=2) + "\n")
            max_input_tokens -= 1
        tokens = language_tokens(style, _vocabulary(staging))
        manifest = {
            "model_id": model.rstrip("/") if not Path(model).is_dir() else Path(model).name,
            "description": f"{model} converted with CTranslate2 ({quantization})",
            "max_input_tokens": max_input_tokens,
            # Decoding past the model's positions raises in CTranslate2: the limit must cut first.
            "max_decoding_length": positions,
            "languages": pair_languages(model, source) if style == "pair" else sorted(tokens),
            "style": style,
            "language_tokens": tokens,
            "converted_with": {
                name: metadata.version(name) for name in ("ctranslate2", "transformers", "torch")
            },
            "quantization": quantization,
            "files": model_checksums(str(staging)),
        }
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (staging / MANIFEST).write_text(text, encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def route_config(name: str, out: Path, manifest: dict, targets: list[str]) -> str:
    """The YAML to paste into a run config for this model."""
    lines = [
        "models:",
        f"  {name}:",
        f"    path: {out.resolve()}",  # a config's relative paths are relative to it
        f"    style: {manifest[ManifestKey.STYLE]}",
    ]
    # No limits: the pipeline takes them from the manifest.
    lines.append("routes:")
    if manifest[ManifestKey.STYLE] == "pair":
        source, target = manifest[ManifestKey.LANGUAGES] or ["SOURCE", "TARGET"]
        lines.append(f"  - {{source: {source}, target: {target}, model: {name}}}")
    else:
        for target in targets:
            lines.append(f'  - {{source: "*", target: {target}, model: {name}}}')
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="Hub id (Helsinki-NLP/opus-mt-de-en) or local directory")
    parser.add_argument("--out", type=Path, help="output directory (default models/NAME)")
    parser.add_argument("--quantization", default="int8", help="CTranslate2 quantization")
    parser.add_argument(
        "--target_lang", default="en", help="targets for the printed routes (multilingual)"
    )
    args = parser.parse_args(argv)
    name = Path(args.model.rstrip("/")).name
    out = args.out or Path("models") / name
    try:
        manifest = convert(args.model, out, args.quantization)
    except ConvertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"converted {manifest[ManifestKey.MODEL_ID]} into {out} ({manifest[ManifestKey.STYLE]}, "
        f"{len(manifest[ManifestKey.LANGUAGES])} languages, max_input_tokens "
        f"{manifest[ManifestKey.MAX_INPUT_TOKENS]})"
    )
    print("\n# paste into your run config (e.g. configs/local.yaml):")
    print(route_config(name, out, manifest, args.target_lang.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
