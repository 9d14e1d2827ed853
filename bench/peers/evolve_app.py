"""An application whose start-up calls ``schemashift.evolve()`` and nothing else.

    python evolve_app.py PROJECT_DIR

Exits 0 only when evolve found nothing to do (nothing applied, written or refused), so
that a run which did work cannot produce a figure.
"""

import sys

import schemashift

report = schemashift.evolve(project=sys.argv[1])
sys.exit(0 if report.ok and not report.applied and report.written is None else 1)
