"""
schemashift migration: initial_schema
Generated at: 2026-11-25 21:48:35
"""


def up(conn):
    """Apply changes."""
    conn.execute("""CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        body TEXT,
        created_at DATETIME DEFAULT CURRENT_TIMESTAMP
    )""")


def down(conn):
    """Revert changes."""
    # WARNING: dropping table notes deletes all of its rows
    conn.execute("DROP TABLE notes")


# The operations above, as data: schemashift reads this list (without importing the
# file) to know the schema the migrations produce. Keep it in step with the SQL.
operations = [{'op': 'create_table',
  'table': {'name': 'notes',
            'columns': [{'name': 'id',
                         'kind': 'biginteger',
                         'nullable': False,
                         'primary_key': True,
                         'autoincrement': True},
                        {'name': 'title', 'kind': 'string', 'nullable': False, 'max_length': 200},
                        {'name': 'body', 'kind': 'text'},
                        {'name': 'created_at',
                         'kind': 'datetime',
                         'default': 'CURRENT_TIMESTAMP'}]}}]
