"""What every room may use and that uses nothing of ours: the snapshots that flow from a source
to a panel (`model`), the questions an action asks (`confirm`), the clock, the one cleaner for
outside text (`untrusted`), errors, key names, bounded file reads and where the record lives.
It imports only the standard library (checked by the import contracts in pyproject.toml)."""
