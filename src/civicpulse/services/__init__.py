"""Application services: the use-cases (ingest, analyze, label corrections, trends), each taking typed options.

The CLI commands, the web routes and the background jobs are thin adapters over these functions, so a browser
upload, `civicpulse ingest` and a handed-over job run the same code. Services call analysis/, analytics/, ingest/
and collect/, which call store/; nothing here imports the CLI, the web app or the job runtime.
"""
