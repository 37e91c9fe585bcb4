"""pyngraph: FreeBSD netgraph from Python, with a userspace emulation for other hosts."""

__version__ = "0.1.0"
