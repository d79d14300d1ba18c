# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
MODELS := models/copy/model.bin models/swapcase/model.bin
OUT ?= out/sample
ARGS ?=

.PHONY: install models run test lint format clean bench bench-memory

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

models: $(MODELS)

$(MODELS) &: $(STAMP) tools/build_test_models.py
	$(PY) -m tools.build_test_models --out models

run: install models
	$(PY) -m pipeline.run --config configs/local.yaml --output $(OUT) --overwrite $(ARGS)
	$(PY) -c "import duckdb; duckdb.sql(\"select doc_id, status, n_segments, left(translated_text, 60) as translated from read_parquet('$(OUT)/documents/*.parquet') order by doc_id\").show(max_width=200)"

test: install models
	$(PY) -m pytest -q

# Benchmarks (not part of `make test`): results go to bench/results/.
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.run $(ARGS)

bench-memory: $(BENCH_STAMP) models
	$(PY) -m bench.memory $(ARGS)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .

clean:
	rm -rf out models .pytest_cache
