"""The floor of an application start-up that checks its migrations: open the database
and read the tracking table, nothing else.

    python floor_app.py DB_FILE EXPECTED_ROWS
"""

import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT name FROM _floor_migrations").fetchall()
conn.close()
sys.exit(0 if len(rows) == int(sys.argv[2]) else 1)
