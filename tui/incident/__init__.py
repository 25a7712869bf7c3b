"""The incident record: an append-only SQLite timeline (store), the state folded from it
(lifecycle) and what leaves it (export)."""
