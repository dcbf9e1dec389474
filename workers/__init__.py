"""Queue jobs: each takes ids, makes one domain call and reports."""
