"""`make bench`: this pipeline against raw CTranslate2, HuggingFace and RunInference."""

__all__ = ["run"]
