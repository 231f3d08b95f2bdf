"""The HTTP API (under /api/v1) and the dashboards, on the same services as the CLI."""
