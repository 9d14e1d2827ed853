"""``python -m schemashift``."""

from schemashift.cli.main import run

run()
