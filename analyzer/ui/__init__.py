"""The verdict pages: server-rendered HTML with SVG plots, for the SRE who opens a link.

Kept free of imports so that `analyzer.ui.links` (used on every evaluation) costs nothing at start.
"""
