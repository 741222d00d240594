"""The check kinds of the rule language, one module each (registered in engine/checks.py)."""
