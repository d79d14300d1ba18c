"""Argos Translate beside the pipeline, same model: chrF, BLEU and wall time per shape of the
development set (bench/quality.py's shapes and halves); what each keeps of whitespace and `_`.

    .venv/bin/python -m bench.argos --half report --rounds 3   # --argos_python: Argos's venv

Argos (argostranslate from PyPI, in its own virtual environment) and the pipeline each run in
a fresh process per round, rounds interleaved. The model becomes one Argos package per source
language, of symlinks: `model/`, `sentencepiece.model` (source.spm: pieces only, `</s>` from the
model's `add_source_eos`, as for the pipeline) and `spacy/`, a blank `xx` pipeline to which
Argos adds its `sentencizer` (`ARGOS_CHUNK_TYPE=SPACY`). Writes bench/results/argos-<time>.*
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET = "en"
CLOCKS = ("seconds", "process_seconds", "cpu_seconds")
SYSTEMS = ("direct", "pipeline", "argos")
CORES = len(os.sched_getaffinity(0))  # the pipeline's default: all of them
# Whole documents with what Argos is said to lose: double spaces, tabs, CRLF line ends, `_`.
SAMPLES = {
    "double spaces": "Klicken Sie auf  OK.  Das Dialogfeld wird geschlossen.",
    "tabs": "Spalte A:\tName\tWert\nSpalte B:\tDatum\tUhrzeit",
    "CRLF": "Wählen Sie Datei - Speichern.\r\nDas Dokument wird gespeichert.\r\n\r\nFertig.",
    "snake_case": "Die Funktion get_cell_value liest den Wert von max_row_count.",
    "all": "Setzen Sie  user_name\tund\r\nhome_dir.\r\n\r\nFertig.",
}


def package_metadata(lang: str) -> dict[str, str]:
    """An installed Argos package's metadata.json: one source language into English."""
    codes = {"from_code": lang, "from_name": lang, "to_code": TARGET, "to_name": TARGET}
    return {"package_version": "1.0", "argos_version": "1.11.0", "type": "translate", **codes}


def argos_env(root: Path, beam_size: int) -> dict[str, str]:
    """Argos's settings: packages and caches under `root`, spaCy sentences, the pipeline's beam,
    compute type and cores (one translator: Argos translates one text at a time)."""
    dirs = {f"XDG_{name.upper()}_HOME": str(root / name) for name in ("data", "config", "cache")}
    argos = {"CHUNK_TYPE": "SPACY", "BEAM_SIZE": beam_size, "PACKAGES_DIR": root / "packages"}
    argos |= {"COMPUTE_TYPE": "int8", "INTER_THREADS": 1, "INTRA_THREADS": CORES}
    return {**os.environ, **dirs, **{f"ARGOS_{key}": str(value) for key, value in argos.items()}}


def install_packages(job: dict[str, Any]) -> dict[str, Any]:
    """Argos packages for job["langs"] under job["root"] (run by the Argos environment)."""
    import spacy

    model, root = Path(job["model"]), Path(job["root"])
    # Else Argos downloads xx_sent_ud_sm at import; it loads the packages' own spacy/.
    marker = root / "cache" / "argos-translate" / "spacy" / "senter" / "model"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    if not (blank := root / "spacy-xx").exists():
        spacy.blank("xx").to_disk(blank)
    for lang in job["langs"]:
        package = root / "packages" / f"translate-{lang}_{TARGET}"
        (package / "model").mkdir(parents=True, exist_ok=True)
        links = {f"model/{file.name}": file for file in model.iterdir()}
        links |= {"sentencepiece.model": model / "source.spm", "spacy": blank}
        for name, target in links.items():
            if not (package / name).exists():
                (package / name).symlink_to(target.resolve())
        (package / "metadata.json").write_text(json.dumps(package_metadata(lang), indent=1))
    return {}


def argos_worker(job: dict[str, Any]) -> dict[str, Any]:
    """Argos's translations of job["texts"] ([lang, text]); seconds to load and to translate."""
    start = time.perf_counter()
    from argostranslate import translate

    by_lang = {lang: translate.get_translation_from_codes(lang, TARGET) for lang in job["langs"]}
    for translation in by_lang.values():
        translation.translate("")  # Argos loads its translator and tokenizer at the first call
    loaded = time.perf_counter()
    out = [by_lang[lang].translate(text) for lang, text in job["texts"]]
    done = time.perf_counter()
    return {"translations": out, "load_seconds": loaded - start, "seconds": done - loaded}


def pipeline_worker(job: dict[str, Any]) -> dict[str, Any]:
    """bench.quality's pipeline measurement (sentence unit) of one shape of a half."""
    from bench.quality import pipeline_translate

    rows = shaped_rows(job["devset"], job["half"], job["shape"])
    workdir = Path(job["workdir"])
    out, figures = pipeline_translate(job["model"], rows, "sentence", job["beam_size"], workdir)
    return {"translations": out, "seconds": figures["wall_seconds"], **figures}


def shaped_rows(devset: str, which: str, name: str) -> list[Any]:
    from reports.devset import half, read_devset, shape

    rows = [row for row in read_devset(Path(devset)) if which == "all" or half(row.page) == which]
    return shape(rows, name)


def run_worker(kind: str, job: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One worker process (Argos's in its environment); its result and its wall time."""
    argos = kind != "pipeline"
    env = argos_env(Path(job["root"]), args.beam_size) if argos else dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        path, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        path.write_text(json.dumps({**job, "result": str(result)}))
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        python = args.argos_python if argos else sys.executable
        command = [python, "-m", "bench.argos", "--worker", kind, str(path)]
        subprocess.run(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, check=True)
        process = {"process_seconds": time.perf_counter() - start, "load": os.getloadavg()[0]}
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # CPU: less moved by others' load
        process["cpu_seconds"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return {**json.loads(result.read_text()), **process}


def whitespace_kept(source: str, output: str) -> dict[str, list[int]]:
    """[kept, in the source] for the source's whitespace runs other than one space (as many
    byte-identical runs in the output), its snake_case names (verbatim) and its `_`."""
    runs = [Counter(r for r in re.findall(r"\s+", text) if r != " ") for text in (source, output)]
    names, underscores = re.findall(r"\w+_\w+", source), source.count("_")
    return {
        "whitespace": [(runs[0] & runs[1]).total(), runs[0].total()],
        "names": [sum(name in output for name in names), len(names)],
        "underscores": [min(output.count("_"), underscores), underscores],
    }


def pipeline_documents(model: str, beam_size: int, workdir: Path) -> dict[str, str]:
    """The pipeline's rebuilt SAMPLES (documents table), given as German JSON Lines."""
    import pyarrow.dataset as ds

    from core.names import Column, Table
    from pipeline.run import run

    corpus, out = workdir / "samples.jsonl", workdir / "samples-out"
    records = [{"id": k, "text": v, "lang": "de"} for k, v in SAMPLES.items()]
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records))
    flags = ["--id_field=id", "--lang_field=lang", "--overwrite", f"--beam_size={beam_size}"]
    run([f"--input={corpus}", f"--output={out}", f"--model={model}", *flags])
    rows = ds.dataset(out / Table.DOCUMENTS, format="parquet").to_table().to_pylist()
    return {row[Column.DOC_ID]: row[Column.TRANSLATED_TEXT] for row in rows}


def rounds_of(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 2), "rounds": [round(v, 2) for v in values]}


def measure_shape(
    args: argparse.Namespace, name: str, workdir: Path, direct: dict[str, str]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Scores (all rows and per language), seconds and speed ratios of one shape; outputs."""
    from bench.quality import scores

    rows = shaped_rows(args.devset, args.half, name)
    langs = sorted({row.lang for row in rows})
    base = {"model": args.model, "beam_size": args.beam_size, "root": str(workdir / "argos")}
    jobs = {
        "pipeline": {**base, "devset": args.devset, "half": args.half, "shape": name},
        "argos": {**base, "langs": langs, "texts": [[row.lang, row.source] for row in rows]},
    }
    runs: dict[str, list[dict[str, Any]]] = {"pipeline": [], "argos": []}
    for number in range(args.rounds):  # interleaved, each round's order the other way
        for kind in ("pipeline", "argos")[:: 1 if number % 2 == 0 else -1]:
            job = {**jobs[kind], "workdir": str(workdir / f"{name}-{number}")}
            runs[kind].append(run_worker(kind, job, args))
    outputs = {
        "direct": [" ".join(direct[part].strip() for part in row.parts) for row in rows],
        **{kind: done[0]["translations"] for kind, done in runs.items()},
    }
    figures: dict[str, Any] = {"paragraphs": len(rows)}
    for system, hypotheses in outputs.items():
        pairs: dict[str, list[tuple[str, str]]] = {lang: [] for lang in langs}
        for hypothesis, row in zip(hypotheses, rows, strict=True):
            pairs[row.lang].append((hypothesis, row.reference))
        by_lang = {lang: scores(*zip(*found, strict=True)) for lang, found in pairs.items()}
        figures[system] = {**scores(hypotheses, [r.reference for r in rows]), "langs": by_lang}
    for kind, done in runs.items():
        clocks = [clock for clock in (*CLOCKS, "load_seconds", "load") if clock in done[0]]
        figures[kind] |= {clock: rounds_of([run[clock] for run in done]) for clock in clocks}
        same = all(run["translations"] == outputs[kind] for run in done)
        figures[kind]["same_output_every_round"] = same
    for clock in CLOCKS:  # each round's ratio, then their median
        ratios = [a[clock] / p[clock] for a, p in zip(runs["argos"], runs["pipeline"], strict=True)]
        figures[f"argos_over_pipeline_{clock}"] = rounds_of(ratios)
    same = zip(outputs["pipeline"], outputs["argos"], strict=True)
    figures["same_output_rows"] = sum(a == b for a, b in same)
    return figures, outputs


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from bench.quality import direct_translate
    from reports.devset import SHAPES

    every = shaped_rows(args.devset, args.half, SHAPES[0])
    base = {"model": args.model, "beam_size": args.beam_size, "root": str(workdir / "argos")}
    run_worker("install", {**base, "langs": sorted({row.lang for row in every})}, args)
    parts = sorted({part for row in every for part in row.parts})
    direct = dict(zip(parts, direct_translate(args.model, parts, args.beam_size), strict=True))
    shapes, outputs = {}, {}
    for name in SHAPES:
        shapes[name], outputs[name] = measure_shape(args, name, workdir, direct)
    job = {**base, "langs": ["de"], "texts": [["de", text] for text in SAMPLES.values()]}
    found = {
        "pipeline": pipeline_documents(args.model, args.beam_size, workdir),
        "argos": dict(zip(SAMPLES, run_worker("argos", job, args)["translations"], strict=True)),
    }
    whitespace = {
        name: {"source": text, **{system: out[name] for system, out in found.items()}}
        | {"kept": {system: whitespace_kept(text, out[name]) for system, out in found.items()}}
        for name, text in SAMPLES.items()
    }
    (workdir / "outputs.json").write_text(json.dumps(outputs, ensure_ascii=False))
    settings = argos_env(Path(base["root"]), args.beam_size)
    return {
        "command": " ".join(["python -m bench.argos", *sys.argv[1:]]),
        **{key: getattr(args, key) for key in ("model", "devset", "half", "beam_size", "rounds")},
        "cores": CORES,
        "argos_settings": {k: v for k, v in settings.items() if k.startswith("ARGOS_")},
        "shapes": shapes,
        "whitespace": whitespace,
    }


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    cells = [header, ["---"] * len(header), *rows]
    return ["", *("| " + " | ".join(row) + " |" for row in cells)]


def markdown(result: dict[str, Any]) -> str:
    def clock(figures: dict[str, Any]) -> str:
        return f"{figures['median']:.2f} {figures['rounds']}"

    systems, langs = [], []
    for name, shape in result["shapes"].items():
        label = f"{name} ({shape['paragraphs']})"
        for system, got in ((system, shape[system]) for system in SYSTEMS):
            clocks = [clock(got[c]) if c in got else "" for c in CLOCKS]
            systems.append([label, system, f"{got['chrf']:.2f}", f"{got['bleu']:.2f}", *clocks])
        ratios = [clock(shape[f"argos_over_pipeline_{c}"]) for c in CLOCKS]
        systems.append([label, "Argos ÷ pipeline", "", "", *ratios])
        for lang in shape["argos"]["langs"]:
            scored = [shape[system]["langs"][lang] for system in SYSTEMS]
            langs.append([name, lang, *("{chrf:.2f} / {bleu:.2f}".format(**s) for s in scored)])
    kept = [
        [name, *(", ".join(f"{k}/{n}" for k, n in by.values()) for by in sample["kept"].values())]
        for name, sample in result["whitespace"].items()
    ]
    head = f"`{result['command']}`: {result['devset']} ({result['half']} pages), beam "
    head += f"{result['beam_size']}, {result['cores']} cores, medians of {result['rounds']} rounds"
    header = ["shape", "system", "chrF", "BLEU", "seconds", "whole process", "CPU seconds"]
    lines = [head, *table(header, systems)]
    lines += table(["shape", "lang", "direct", "pipeline", "Argos (chrF / BLEU)"], langs)
    lines += ["", "Kept / in the source: whitespace runs but single spaces, snake_case names, `_`:"]
    return "\n".join([*lines, *table(["sample", "pipeline", "Argos"], kept)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--argos_python", default="/tmp/argos-venv/bin/python")
    parser.add_argument("--model", default="../shared/models/lohelp-mul-en")
    parser.add_argument("--devset", default="../shared/eval/lohelp-dev.jsonl")
    parser.add_argument("--half", choices=["calibrate", "report", "all"], default="report")
    parser.add_argument("--beam_size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here (runs, outputs.json), kept")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, path = args.worker
        job = json.loads(Path(path).read_text())
        workers = {"install": install_packages, "argos": argos_worker, "pipeline": pipeline_worker}
        Path(job["result"]).write_text(json.dumps(workers[kind](job)))
        return 0
    args.model, args.devset = (str(Path(path).resolve()) for path in (args.model, args.devset))
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(args, (args.keep or Path(tmp)).resolve())  # its steps make their dirs
    stem = RESULTS / time.strftime("argos-%Y%m%d-%H%M%S")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(markdown(result))
    print(markdown(result), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
