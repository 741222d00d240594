"""Allow `python -m casecheck`."""

from casecheck.cli import main

main()
