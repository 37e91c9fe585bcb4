"""The FreeBSD Vagrant VM that runs pyngraph's suite on a real netgraph kernel (``python -m vm``)."""
