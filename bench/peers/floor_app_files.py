"""The floor of an application start-up that also proves its applied migration files
unchanged, as it must in a fresh container (no cache of any kind): open the database,
read the names and checksums schemashift recorded, then read every file and compare
its SHA-256 with the record. The least work that guarantee needs: no settings, no lock,
no pending or missing file, no model check.

    python floor_app_files.py DB_FILE MIGRATIONS_DIR EXPECTED_ROWS
"""

import hashlib
import os
import sqlite3
import sys

conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT name, checksum FROM _schemashift_migrations").fetchall()
conn.close()
folder = os.open(sys.argv[2], os.O_RDONLY)
same = 0
for name, checksum in rows:
    fd = os.open(name + ".py", os.O_RDONLY, dir_fd=folder)
    data = os.read(fd, os.fstat(fd).st_size)
    os.close(fd)
    same += hashlib.sha256(data).hexdigest() == checksum
sys.exit(0 if same == len(rows) == int(sys.argv[3]) else 1)
