"""Analysis tables carry post columns: time, integer author id, folded text, `post_key`.

The baseline already creates them; stores written before they existed (still `meta.schema_version` 1) lack them,
and were upgraded by ad-hoc `ADD COLUMN IF NOT EXISTS` statements on every open until migrations replaced those.
The store fills the new columns from `posts` after migrating (`sync_analysis_keys`).
"""

STATEMENTS = [
    "ALTER TABLE post_analysis ADD COLUMN IF NOT EXISTS created_at TIMESTAMP",
    "ALTER TABLE post_analysis ADD COLUMN IF NOT EXISTS author_id BIGINT",
    "ALTER TABLE post_analysis ADD COLUMN IF NOT EXISTS post_key BIGINT",
    "ALTER TABLE post_analysis ADD COLUMN IF NOT EXISTS folded_text TEXT",
    "ALTER TABLE post_topics ADD COLUMN IF NOT EXISTS post_key BIGINT",
    "ALTER TABLE post_places ADD COLUMN IF NOT EXISTS post_key BIGINT",
    "ALTER TABLE post_terms ADD COLUMN IF NOT EXISTS post_key BIGINT",
]
