"""Patron's own system checks, run by `patron check` (and before `migrate`, `serve`...)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# Only `patron check` asks: `migrate` runs the database checks too, and there the warning
# would announce the very migrations it is about to apply.
report_pending_migrations = False


@register(Tags.database)
def migrations_applied(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Pages fail on missing tables; say so before anyone opens one."""
    if not report_pending_migrations:
        return []
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not pending:
        return []
    names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
    return [
        Warning(
            f"{len(pending)} database migration(s) not applied yet ({names}).",
            hint="Run `patron migrate` (or `patron setup`).",
            id="patron.W001",
        )
    ]
