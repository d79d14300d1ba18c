"""Command-line tools: building the test models, converting a model, the generated docs
and a local Beam cluster."""

__all__ = ["build_test_models", "config_docs", "convert_model", "descriptions", "local_cluster"]
