"""The incident record: an append-only SQLite timeline (store), the state folded from it
(lifecycle), the service that writes it (service), the screen's one shared handle on it
(record), the timeline's feed (feed) and what leaves it (export). It may import `tui.core`, the
config and the domain rules; never Textual, a panel, the actions, a controller or the shell."""
