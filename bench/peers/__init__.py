"""One adapter per tool: how it lays out a project and which commands do the work."""
