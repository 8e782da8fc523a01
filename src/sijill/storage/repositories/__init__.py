"""Repositories: the SQL of the catalog, one module per domain. Services call these; faces
(CLI, web) never do. Each function takes the caller's session and leaves the transaction to
the service that owns it."""
