"""One adapter per outside system (health, kubernetes/, prometheus, logs/). A source knows nothing
of Textual: it returns snapshots from `tui.core.model` and raises `SourceError` with one line a
person can act on. It may import `tui.core`, the config's schema and the domain rules; never
Textual, a panel, a controller or the shell; only `actions/` changes a cluster
(`kubernetes.control`)."""
