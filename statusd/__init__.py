"""statusd: a status page fed by logs."""

__version__ = "0.1.0"
