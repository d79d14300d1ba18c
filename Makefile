# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODELS := models/copy/model.bin models/swapcase/model.bin models/loop/model.bin
OUT ?= out/sample
ARGS ?=
REFS ?= samples/references/en.jsonl
EVAL_ARGS ?=

.PHONY: install models run eval test lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
	$(PY) -m pipeline.evaluate --run $(OUT) --references $(REFS) $(EVAL_ARGS)

test: install models
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

clean:
	rm -rf out models .pytest_cache
