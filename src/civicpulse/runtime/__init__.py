"""The server's background runtime, shared by the web app and live collection: the job runner (one writer thread
for imports, analysis and maintenance), the periodic scheduler, recovery after a crash, and the collection
runtime that runs each workspace's sources on their schedules (runtime/collection.py), and where `analyze`'s
models run when they are spread over a Ray cluster (runtime/ray_enrich.py)."""
