"""The reactive state store and the poller that feeds it (pure asyncio, no Textual).

`store.Store` holds one `Collection` per resource, keyed by id, versioned, with a freshness
`Status`; subscribers get `Diff`s (added/changed/removed ids), never snapshots. `poller.Poller`
refreshes each collection on its own cadence with one request in flight per resource.
`stm_tui.session.Session` wires a profile's client, store and poller together for the UI.
"""
