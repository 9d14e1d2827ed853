"""Running migrations: connections, the tracking table, the executor, evolve."""
