"""`python -m sijill` runs the command line."""

from sijill.cli.main import main

main()
