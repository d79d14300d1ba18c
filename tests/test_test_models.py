"""The hand-built copy/swapcase models must be exact, or pipeline tests built on them lie."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm

from tools.build_test_models import (
    ALPHABET,
    LANGUAGES,
    MAX_INPUT_TOKENS,
    build_all,
    swapcase_reference,
)

TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Grüße aus Köln: Äpfel, Öl und Übermut, ß!",
    "Ça va? «Très bien», l'été à Noël.",
    "¿Dónde está el niño? ¡Mañana!",
    "Tiếng Việt có dấu: Đường phố Hà Nội rất đẹp.",
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ ƠƯ",
    "Ελληνικά: Καλημέρα κόσμε, ΣΟΦΙΑ σοφία ς ΐ",
    "Русский текст: Съешь же ещё этих мягких французских булок. Ё",
    "Line one\nLine two\n\nLine four\n",
    "col1\tcol2\t\tcol4",
    "  leading and trailing spaces  ",
    "multiple     spaces\u00a0nbsp\u2009thin\u3000ideographic",
    "Emoji 😀👍🏽 and ZWJ 👨‍👩‍👧 family",
    "中文文本，日本語のテキスト、한국어 텍스트",
    "العربية עברית हिन्दी ไทย",
    "Combining: e\u0301 n\u0303 A\u030a",
    "Control \x00\x01\x1b[0m \x7f and CR\r\nLF",
    "Literal ▁ U+2581 and <s></s><unk> <0x41>",
    "Language tokens inline: eng_Latn deu_Latnxvie_Latn ENG_LATN",
    "Türkçe: İstanbul'da ıslak ışık",
    "Polski: Zażółć gęślą jaźń; Čeština: Příliš žluťoučký kůň",
    "Nederlands: IJsselmeer; Português: ação, coração; Italiano: perché così già più",
    "Numbers 1234567890 +-*/=%$€£¥ ½ ¾ ©®™ µ",
    "x",
    "Ω≈ç√∫˜≤≥÷ ‘quotes’ “double” … – —",
    "\ufeffBOM and zero\u200bwidth\u200djoiner",
    "mixed CASE MiXeD cAsE ǅ ǈ ǋ ſ ﬁ ÿŸ",
]
LONG_TEXT = "\n".join(TEXTS)  # > 1000 tokens, newlines, byte pieces
MODELS = {"copy": lambda text: text, "swapcase": swapcase_reference}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def sp(models: dict[str, Path]) -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_file=str(models["copy"] / "source.spm"))


@pytest.fixture(scope="module")
def translator(models: dict[str, Path]) -> Callable[[str, str], ctranslate2.Translator]:
    cache: dict[tuple[str, str], ctranslate2.Translator] = {}

    def get(name: str, compute_type: str = "default") -> ctranslate2.Translator:
        if (name, compute_type) not in cache:
            path = str(models[name])
            # One thread: the model is tiny, extra threads only add waiting on small machines.
            model = ctranslate2.Translator(path, compute_type=compute_type, intra_threads=1)
            cache[name, compute_type] = model
        return cache[name, compute_type]

    return get


def translate(
    translator: ctranslate2.Translator,
    sources: list[list[str]],
    beam_size: int = 1,
    target_prefix: list[list[str]] | None = None,
) -> list[list[str]]:
    results = translator.translate_batch(
        sources,
        target_prefix=target_prefix,
        beam_size=beam_size,
        max_decoding_length=max(map(len, sources)) + 8,
        max_input_length=0,
        return_scores=True,
    )
    for result in results:  # log-probability of an exact, certain output
        assert len(result.scores) == 1 and result.scores[0] > -1e-3
    return [result.hypotheses[0] for result in results]


def test_tokenizer_round_trips_any_text(sp: spm.SentencePieceProcessor) -> None:
    for text in [*TEXTS, LONG_TEXT]:
        assert sp.decode(sp.encode(text, out_type=str)) == text
    assert len(sp.encode(LONG_TEXT)) >= 1000
    assert all(sp.encode(piece, out_type=str) == [piece] for piece in [*ALPHABET, *LANGUAGES])
    assert sp.encode(" ▁", out_type=str) == ["<0x20>", "<0xE2>", "<0x96>", "<0x81>"]


@pytest.mark.parametrize("compute_type", ["int8", "float32"])
@pytest.mark.parametrize("beam_size", [1, 2])
@pytest.mark.parametrize("name", MODELS)
def test_model_output_is_exact(translator, sp, name, compute_type, beam_size) -> None:
    texts = [*TEXTS, LONG_TEXT]
    sources = sp.encode(texts, out_type=str)
    hypotheses = translate(translator(name, compute_type), sources, beam_size)
    assert [sp.decode(h) for h in hypotheses] == [MODELS[name](t) for t in texts]
    if name == "copy":
        assert hypotheses == sources


@pytest.mark.parametrize("name", MODELS)
def test_batch_equals_one_at_a_time(translator, sp, name) -> None:
    sources = sp.encode([LONG_TEXT, "x", *TEXTS[::4]], out_type=str)
    model = translator(name)
    singles = [translate(model, [source], beam_size=2)[0] for source in sources]
    assert translate(model, sources, beam_size=2) == singles


@pytest.mark.parametrize("name", MODELS)
def test_nllb_style_prefix_replaces_source_language(translator, sp, name) -> None:
    texts = TEXTS[:10]
    pairs = [(LANGUAGES[i % 10], LANGUAGES[(i + 3) % 10]) for i in range(len(texts))]
    pieces = sp.encode(texts, out_type=str)
    outputs = sp.encode([MODELS[name](t) for t in texts], out_type=str)
    expected = [[tgt, *output] for (_, tgt), output in zip(pairs, outputs, strict=True)]
    prefixes = [[tgt] for _, tgt in pairs]
    model = translator(name)
    sources = [[src, *p] for (src, _), p in zip(pairs, pieces, strict=True)]
    assert translate(model, sources, 2, prefixes) == expected
    with_eos = [[*source, "</s>"] for source in sources]  # caller-added EOS is harmless
    assert translate(model, with_eos, 1, prefixes) == expected
    assert translate(model, [["eng_Latn"]], 1, [["vie_Latn"]]) == [["vie_Latn"]]
    # No prefix: the language token is copied. No language token: the prefix hides a piece.
    assert translate(model, [["rus_Cyrl", *pieces[0]]]) == [["rus_Cyrl", *outputs[0]]]
    assert translate(model, [pieces[0]], 1, [["ell_Grek"]]) == [["ell_Grek", *outputs[0][1:]]]


def test_length_limits(translator) -> None:
    model = translator("copy")
    longest = ["a", "b", "<0x20>"] * (MAX_INPUT_TOKENS // 3)
    assert len(longest) == MAX_INPUT_TOKENS
    # The beam that lost needs one decoder position past the source end.
    assert translate(model, [longest], beam_size=2) == [longest]
    with pytest.raises(RuntimeError, match="position"):
        translate(model, [[*longest, "c"]])
    # Every beam ends at the source end, however generous max_decoding_length is.
    results = model.translate_batch(
        [["a", "b"]], beam_size=4, num_hypotheses=4, max_decoding_length=10**6
    )
    assert max(len(hypothesis) for hypothesis in results[0].hypotheses) <= 3


def test_swapcase_reference_examples() -> None:
    assert swapcase_reference("Hello Đường ΣΑΣ ß ı µ ς eng_Latn\n😀") == (
        "hELLO đƯỜNG σασ ß ı µ ς eng_Latn\n😀"
    )


def test_manifest_describes_files(models: dict[str, Path]) -> None:
    for name, path in models.items():
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["model_id"] == f"{name}-test-v1"
        assert manifest["max_input_tokens"] == MAX_INPUT_TOKENS >= 1024
        assert manifest["languages"] == list(LANGUAGES)
        assert manifest["description"]
        files = {p.name for p in path.iterdir()} - {"manifest.json"}
        assert set(manifest["files"]) == files >= {"model.bin", "source.spm", "target.spm"}
        for file_name, digest in manifest["files"].items():
            assert hashlib.sha256((path / file_name).read_bytes()).hexdigest() == digest


def test_build_is_reproducible(models: dict[str, Path], tmp_path: Path) -> None:
    again = build_all(tmp_path)
    build_all(tmp_path)  # rebuilding in place replaces the models
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(models)
    for name, path in models.items():
        files = sorted(p.name for p in path.iterdir())
        assert sorted(p.name for p in again[name].iterdir()) == files
        for file_name in files:
            assert (again[name] / file_name).read_bytes() == (path / file_name).read_bytes()


@pytest.mark.parametrize("compute_type", ["int8", "float32"])
@pytest.mark.parametrize("beam_size", [1, 2, 4])
def test_loop_model_repeats_a_dot_until_the_limit(translator, sp, compute_type, beam_size):
    texts = [t for t in TEXTS if "." in t and " " in t]
    sources = sp.encode(texts, out_type=str)
    model = translator("loop", compute_type)
    limit = max(map(len, sources)) + 20
    looped = model.translate_batch(
        sources, beam_size=beam_size, max_decoding_length=limit, max_input_length=0
    )
    # Every output is the copy, then dots up to max_decoding_length: no beam ever stops.
    assert [r.hypotheses[0] for r in looped] == [s + ["."] * (limit - len(s)) for s in sources]
    # With a repetition penalty, the dot and the space (both already generated) fall
    # below </s>: the copy is exact.
    fixed = model.translate_batch(
        sources,
        beam_size=beam_size,
        max_decoding_length=limit,
        max_input_length=0,
        repetition_penalty=1.2,
    )
    assert [r.hypotheses[0] for r in fixed] == sources
