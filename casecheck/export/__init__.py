"""The input side: the export contract, the council config, and reading an export into tables."""
