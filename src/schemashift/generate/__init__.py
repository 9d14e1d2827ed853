"""Writing migration files for a project: ``make migration``, ``squash``, ``render``.

These work on a whole project (its settings, models, dialects and files), so they sit
above :mod:`schemashift.migrations`, which knows single files and their history.
"""
