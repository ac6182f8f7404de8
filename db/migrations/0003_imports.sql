-- One row per bulk import: created waiting by POST /preferences/imports,
-- claimed and advanced by the import function, read by
-- GET /preferences/imports/{importId}.
--
-- The import function updates its row in the same transaction as each batch
-- of records it writes, so the counters, the errors and the checkpoint
-- (bytes_read, the offset just past the last line of the last committed
-- batch, and line_no, the lines consumed up to there) always agree with
-- what is in preferences. A retried or duplicated S3 event resumes from the
-- checkpoint; nothing is applied twice, and the counts stay exact.
-- updated_at is the heartbeat that lets a retry take over a run that died.
CREATE TABLE imports (
	import_id     text PRIMARY KEY CHECK (import_id ~ '^[A-Za-z0-9._-]{1,128}$'),
	object_key    text NOT NULL,
	state         text NOT NULL CHECK (state IN ('waiting', 'running', 'done', 'failed')),
	rows_read     bigint NOT NULL DEFAULT 0 CHECK (rows_read >= 0),
	rows_written  bigint NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
	rows_rejected bigint NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
	bytes_read    bigint NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
	line_no       bigint NOT NULL DEFAULT 0 CHECK (line_no >= 0),
	errors        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
	failure       text,
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON imports TO sluice_app;
