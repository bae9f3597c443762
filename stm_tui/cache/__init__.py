"""The local inventory cache: the large collections (certificates, keypairs) of one profile,
host and STM user, kept on disk between runs so the dashboard opens on them at once and a
change-only refresh brings them up to date.

`codec` turns models into rows and back (equal certificates stored once); `file` is the
SQLite file (private, schema-versioned, quarantined when it does not open or parse);
`keeper` ties one file to a session's store. Nothing here imports Textual or the UI, and the
cache never holds a secret: only what the server listed for these collections.
"""
