"""Pipeline stages: one module per stage, each a PTransform or DoFn."""
