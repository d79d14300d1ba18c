"""The config's `beam_options:` section: Beam pipeline options kept with a run's settings.

`configs/dataflow.yaml`, `flink.yaml` and `spark.yaml` carry the runner and its options
there, so one `--config` picks the cluster. They become command-line flags placed before
the real command line, which therefore overrides them (list-valued ones, like
`experiments`, add up).
"""

from __future__ import annotations

from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from core.errors import ConfigError
from pipeline.options import CONFIG_KEYS


def beam_flags(beam_options: Any) -> list[str]:
    """Flags for the options: a list repeats its flag, true sets a switch, false omits it.
    An option Beam does not know, or one of the pipeline's own settings, is refused."""
    if not isinstance(beam_options, dict):
        raise ConfigError("beam_options must be a mapping of Beam option names to values")
    own = sorted(set(beam_options) & {*CONFIG_KEYS, "config"})
    if own:
        raise ConfigError(
            f"beam_options.{own[0]} is a pipeline setting: set it outside beam_options"
        )
    flags = []
    for name, value in beam_options.items():
        for item in value if isinstance(value, list) else [value]:
            if item is True:
                flags.append(f"--{name}")
            elif item is not False:
                flags.append(f"--{name}={item}")
    parsed = PipelineOptions(flags).get_all_options(retain_unknown_options=True)
    unknown = sorted(set(parsed) - set(PipelineOptions([]).get_all_options()))
    if unknown:
        raise ConfigError(f"beam_options.{unknown[0]} is not a Beam pipeline option")
    return flags
