# The SDK worker container for Dataflow, Flink and Spark: Beam's own Python 3.11 SDK image, at
# the Beam version pyproject.toml pins, with this project and its dependencies installed.
# Beam's entrypoint (/opt/apache/beam/boot) is kept: the runner starts it as the SDK harness.
#   docker build -t REGISTRY/corpus-translate:0.1.0 .                      # models from gs://
#   docker build --build-arg EXTRAS=aws -t REGISTRY/corpus-translate:0.1.0 .  # ...from s3://
# Models are not baked in: each worker copies model.path (gs://, s3://, hdfs://) to local
# disk once and verifies it (backends/store.py). README "Running on a cluster" shows
# how to bake one in instead.
FROM apache/beam_python3.11_sdk:2.77.0

ARG EXTRAS=gcp
WORKDIR /opt/corpus-translate
COPY pyproject.toml README.md ./
COPY core/ core/
COPY readers/ readers/
COPY backends/ backends/
COPY text/ text/
COPY inference/ inference/
COPY transforms/ transforms/
COPY pipeline/ pipeline/
COPY reports/ reports/
COPY tools/ tools/
COPY configs/ configs/
RUN pip install --no-cache-dir ".[${EXTRAS}]" \
    && python -c "import ctranslate2, sentencepiece, pipeline.run, backends.store"
