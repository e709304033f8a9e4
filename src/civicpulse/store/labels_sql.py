"""SQL of label corrections (analysts' labels that feed retraining) and of the trends' default period."""

LIVE_POST = "SELECT 1 FROM posts WHERE workspace = ? AND platform = ? AND post_id = ? AND NOT deleted"
DELETE_CORRECTION = ("DELETE FROM label_corrections WHERE workspace = ? AND platform = ? AND post_id = ? "
                     "AND task = ?")
INSERT_CORRECTION = "INSERT INTO label_corrections VALUES (?, ?, ?, ?, ?, ?, current_timestamp)"
COUNT_CORRECTIONS = "SELECT count(*) FROM label_corrections WHERE workspace = ? AND task = ?"
# Training rows for a task: each corrected post's text, the analyst's label and the detected language.
CORRECTED_TEXTS = ("SELECT p.text, c.label, p.language FROM label_corrections c JOIN posts p ON "
                   "p.workspace = c.workspace AND p.platform = c.platform AND p.post_id = c.post_id "
                   "WHERE c.workspace = ? AND c.task = ? AND NOT p.deleted")
LAST_ANALYSED_AT = "SELECT max(created_at) FROM post_analysis WHERE workspace = ?"
