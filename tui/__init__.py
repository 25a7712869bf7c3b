"""warroom: a terminal war room for production incidents. Its root holds the shell (cli, app,
wiring, runtime, keys, key_queue, crash, check_config); the rooms below it say what they may
import, and pyproject.toml's import contracts hold them to it."""

__version__ = "0.1.0"
