"""stm-tui: a terminal console for DigiCert ONE Software Trust Manager."""

__version__ = "0.1.0"
