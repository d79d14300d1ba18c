"""ConfigError: a configuration problem the user must fix before a run starts."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration problem the user must fix; the message says which key and how."""
