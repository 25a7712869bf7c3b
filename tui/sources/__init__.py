"""One adapter per outside system. A source knows nothing of Textual: it returns snapshots from
`tui.core.model` and raises `SourceError` with one line a person can act on."""
