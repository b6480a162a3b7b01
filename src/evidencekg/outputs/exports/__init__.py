"""Exports of a built graph for other tools, one module per format."""
