"""The web face: the JSON API (and, later, the investigators' pages) over the services."""
