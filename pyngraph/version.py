"""The package version, below every layer (the daemon and the CLI print it)."""

__version__ = "0.1.0"
