"""Background work shared by the server, the CLI and collection: jobs, schedules and where analysis runs."""
