"""The engagement rules: models, attribution, rollups and metrics.

Nothing in this package knows about HTTP, GraphQL or the job queue.
"""
