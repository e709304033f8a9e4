"""How long data is kept and how it is removed: workspace retention, audit-log retention, rejects cleanup and
workspace deletion. Used alike by the CLI, the server's daily maintenance and the admin API."""

from civicpulse.lifecycle.deletion import delete_workspace
from civicpulse.lifecycle.retention import (
    apply_workspace_retention,
    clean_rejects,
    instance_settings,
    purge_audit_log,
    run_maintenance,
    set_instance_settings,
    set_workspace_retention,
    workspace_retention,
)

__all__ = ["apply_workspace_retention", "clean_rejects", "delete_workspace", "instance_settings", "purge_audit_log",
           "run_maintenance", "set_instance_settings", "set_workspace_retention", "workspace_retention"]
