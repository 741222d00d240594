"""The rule engine: rule files in, per-case exceptions out, as data (never printed)."""
