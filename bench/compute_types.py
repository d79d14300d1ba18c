"""The compute types of a real model on one device: chrF, BLEU and speed on its dev set.

`model.compute_type: default` on a GPU is the fastest type whose chrF is within
`CHRF_TOLERANCE` of the best. Paragraphs are cut into sentences as the pipeline cuts
them, translated in batches of one token length (beam 2, the pipeline's default) and
joined back. Each type is also run a second time with every batch cut in halves, to
count the sentences whose output depends on the batch they are in.

    python -m bench.compute_types MODEL DEV_SET [--device cuda] [--types float16,...]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections import defaultdict
from typing import Any

CHRF_TOLERANCE = 0.2  # chrF points: "equal quality"
BEAM_SIZE = 2


def dev_sentences(dev_set: str, spm_path: str) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The dev set's rows, each with its sentence pieces (`parts`: (index, separator))."""
    import sentencepiece as spm

    from text.sentences import split_to_limit

    processor = spm.SentencePieceProcessor(model_file=spm_path)
    rows, tokens = [], []
    with open(dev_set, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            count = lambda text: len(processor.encode(text))  # noqa: E731
            pieces, _ = split_to_limit(row["source"], row["lang"], count, 256)
            row["parts"] = []
            for body, separator in pieces:
                row["parts"].append((len(tokens), separator))
                tokens.append(processor.encode(body, out_type=str))
            rows.append(row)
    return rows, tokens


def translate(translator: Any, tokens: list[list[str]], halves: bool) -> tuple[list, float]:
    """Every sentence's output tokens, by length group (cut in halves if asked), and the
    seconds it took."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, sentence in enumerate(tokens):
        groups[len(sentence)].append(index)
    outputs: list[list[str]] = [[] for _ in tokens]
    started = time.perf_counter()
    for length, indices in groups.items():
        size = math.ceil(len(indices) / 2) if halves else 0
        results = translator.translate_batch(
            [tokens[i] for i in indices],
            beam_size=BEAM_SIZE,
            max_batch_size=size,
            max_input_length=0,
            max_decoding_length=min(512, 2 * length + 16),
        )
        for index, result in zip(indices, results, strict=True):
            outputs[index] = result.hypotheses[0]
    return outputs, time.perf_counter() - started


def compare_compute_types(
    model: str, dev_set: str, types: list[str], device: str = "cuda"
) -> dict[str, Any]:
    import ctranslate2
    import sacrebleu
    import sentencepiece as spm

    rows, tokens = dev_sentences(dev_set, f"{model}/source.spm")
    target = spm.SentencePieceProcessor(model_file=f"{model}/target.spm")
    references = [row["reference"] for row in rows]
    supported = ctranslate2.get_supported_compute_types(device)
    figures: dict[str, Any] = {}
    for compute_type in types:
        if compute_type not in supported:
            figures[compute_type] = {"supported": False}
            continue
        translator = ctranslate2.Translator(model, device=device, compute_type=compute_type)
        translate(translator, tokens[:64], halves=False)  # warm-up: kernels, cuBLAS
        runs = [translate(translator, tokens, halves=False) for _ in range(3)]
        outputs, _ = runs[0]
        seconds = min(run[1] for run in runs)
        halved, _ = translate(translator, tokens, halves=True)
        hypotheses = [
            "".join(target.decode(outputs[i]) + separator for i, separator in row["parts"])
            for row in rows
        ]
        target_tokens = sum(map(len, outputs))
        figures[compute_type] = {
            "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
            "bleu": round(sacrebleu.corpus_bleu(hypotheses, [references]).score, 2),
            "target_tokens_per_second": round(target_tokens / seconds, 1),
            "seconds_best_of_3": round(seconds, 3),
            "sentences": len(tokens),
            "differ_when_batches_halved": sum(a != b for a, b in zip(outputs, halved, strict=True)),
        }
        del translator
    return {"model": model, "device": device, "beam_size": BEAM_SIZE} | {
        "types": figures,
        "default": choose(figures),
    }


def choose(figures: dict[str, Any]) -> str | None:
    """The fastest type within CHRF_TOLERANCE of the best chrF."""
    measured = {name: f for name, f in figures.items() if "chrf" in f}
    if not measured:
        return None
    best_chrf = max(f["chrf"] for f in measured.values())
    equal = {n: f for n, f in measured.items() if f["chrf"] >= best_chrf - CHRF_TOLERANCE}
    return max(equal, key=lambda n: equal[n]["target_tokens_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("dev_set")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--types", default="int8_float16,float16,bfloat16,int8")
    args = parser.parse_args()
    result = compare_compute_types(args.model, args.dev_set, args.types.split(","), args.device)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
