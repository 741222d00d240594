"""Views of a run's results: terminal, plain text, JSON, CSV. No view recomputes anything."""
