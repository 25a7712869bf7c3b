"""The config file: `schema` (the dataclasses the app reads: a leaf) and `load` (finding the
file, reading it within bounds, and checking every key, each problem in one line that names the
file, the key path and what was expected). `warroom check-config` is tui/check_config.py.

Why the checks are written out rather than left to pydantic or msgspec: the messages are part
of the contract (a key path, what was expected, what was found, "did you mean" for a typo, a
value from outside never echoed raw) and the config tests pin them word for word; both
libraries word their own errors, and mapping each back costs about as much as the checks."""
