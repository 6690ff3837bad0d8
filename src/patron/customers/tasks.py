"""Background jobs of the customers app."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from patron.customers.import_jobs import import_run


@db_task()
def customer_import_run(import_id: int) -> None:
    """Run (or check) an uploaded import; progress and report land on the import."""
    import_run(import_id)
