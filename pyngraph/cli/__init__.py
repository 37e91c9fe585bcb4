"""Command-line tools: ``pyngctl`` (ngctl(8)), ``pynghook`` (nghook(8)) and graph pictures.

They are written against :mod:`pyngraph.libnetgraph` exactly as FreeBSD's tools
are written against libnetgraph, so they run on every backend.
"""
