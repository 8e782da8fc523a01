"""Command line: the `sijill` entry point."""
