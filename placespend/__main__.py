"""``python -m placespend`` runs the command line."""

from placespend.cli import main

main()
