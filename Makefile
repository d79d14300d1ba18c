# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GCP_STAMP := $(VENV)/.installed-gcp
BENCH_STAMP := $(VENV)/.bench-installed
MODELS := models/copy/model.bin models/swapcase/model.bin models/loop/model.bin
OUT ?= out/sample
ARGS ?=
REFS ?= samples/references/en.jsonl
EVAL_ARGS ?=

MODEL ?=
TARGETS ?= en
MODEL_OUT ?=

.PHONY: install install-gcp models run run-portable dataflow-dryrun eval test lint format clean convert docs bench bench-gpu bench-memory quality

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,convert]'
	touch $(STAMP)

# The Dataflow runner and gs:// (apache-beam[gcp]): for the tests and the Dataflow dry run.
install-gcp: $(GCP_STAMP)

$(GCP_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,gcp]'
	touch $(GCP_STAMP)

models: $(MODELS)

$(MODELS) &: $(STAMP) tools/build_test_models.py $(wildcard tools/test_models/*.py)
	$(PY) -m tools.build_test_models --out models

run: install models
	$(PY) -m pipeline.run --config configs/local.yaml --output $(OUT) --overwrite $(ARGS)
	$(PY) -c "import duckdb; duckdb.sql(\"select doc_id, status, n_segments, left(translated_text, 60) as translated from read_parquet('$(OUT)/documents/*.parquet') order by doc_id\").show(max_width=200)"

# Scores the run in $(OUT) (made with `make run` if there is none) against $(REFS);
# REFS=source scores against the run's own source text.
eval: install models
	test -f $(OUT)/run.json || $(MAKE) run OUT=$(OUT)
	$(PY) -m reports.evaluate --run $(OUT) --references $(REFS) $(EVAL_ARGS)

# Quality with the real model on its development set (docs/quality.md): unit x shape x
# chrF/BLEU against direct CTranslate2, results in bench/results/quality-*.
REAL_MODEL ?= ../shared/models/lohelp-mul-en
DEVSET ?= ../shared/eval/lohelp-dev.jsonl
quality: install
	$(PY) -m bench.quality --model $(REAL_MODEL) --devset $(DEVSET) $(ARGS)

# The same run on Beam's PortableRunner: a job service and an SDK worker pool on loopback.
run-portable: install models
	$(PY) -m tools.local_cluster --config configs/local.yaml --output out/portable --overwrite $(ARGS)

# Builds the Dataflow job offline (DataflowRunner --dry_run=True) and prints what it would
# submit; the example project, bucket and image are placeholders, the model is local.
DATAFLOW_EXAMPLE := --project=example-project --temp_location=gs://example-bucket/tmp \
	--sdk_container_image=us-docker.pkg.dev/example-project/corpus/corpus-translate:0.1.0 \
	--input='gs://example-bucket/corpus/**' --output=gs://example-bucket/translations
dataflow-dryrun: install-gcp models
	$(PY) -m pipeline.run --config configs/dataflow.yaml --dry_run=True $(DATAFLOW_EXAMPLE) \
		--model=models/swapcase $(ARGS)

test: install-gcp models
	$(PY) -m pytest -q

# make convert MODEL=Helsinki-NLP/opus-mt-de-en (or facebook/nllb-200-distilled-600M, a local dir)
convert: install
	@test -n "$(MODEL)" || { echo "usage: make convert MODEL=Helsinki-NLP/opus-mt-de-en [MODEL_OUT=models/NAME] [TARGETS=en,de]" >&2; exit 2; }
	$(PY) -m tools.convert_model $(MODEL) $(if $(MODEL_OUT),--out $(MODEL_OUT)) --target_lang $(TARGETS)

docs: install
	$(PY) -m tools.config_docs --write

# Benchmarks (not part of `make test`): results go to bench/results/.
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.run $(ARGS)

# On a GPU machine (bench/README.md, GPU): pipeline vs raw CTranslate2 vs HF generate.
bench-gpu: $(BENCH_STAMP)
	$(PY) -m bench.gpu $(ARGS)

bench-memory: $(BENCH_STAMP) models
	$(PY) -m bench.memory $(ARGS)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

clean:
	rm -rf out models .pytest_cache
