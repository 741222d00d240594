"""casecheck: check children's social care case records against practice standards."""

__version__ = "0.1.0"
