"""`python -m sijill` runs the command line."""

from sijill.cli.entry import main

main()
