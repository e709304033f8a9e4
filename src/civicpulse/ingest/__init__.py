"""Ingestion: read inputs, detect formats, pseudonymize, dedupe/upsert, and keep what was rejected."""
