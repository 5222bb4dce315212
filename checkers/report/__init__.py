"""Renderers of results: the terminal (rich) and the versioned JSON document."""
