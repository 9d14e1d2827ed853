"""The model API: ``Model``, ``Field``, ``Index``, ``Check`` and ``SQL``."""

from schemashift.models.fields import SQL, Check, Field, Index
from schemashift.models.model import Model

__all__ = ["SQL", "Check", "Field", "Index", "Model"]
