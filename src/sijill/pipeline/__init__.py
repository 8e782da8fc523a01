"""Pipeline: the stage protocol, the registry, and the runner that schedules all work."""
