"""Pieces of tools.build_test_models: tokenizer and hand-set weights of the test models."""
