"""View logic that does not need Textual: what the screens and the headless commands show."""
