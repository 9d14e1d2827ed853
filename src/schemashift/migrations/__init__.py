"""Migration files: names and checksums, the writer, and replay of history to a schema."""
