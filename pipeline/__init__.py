"""Composition of the translation pipeline: config, options, graph and CLI."""
