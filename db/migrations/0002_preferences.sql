-- Each end user's current choices, and every version they ever had.
--
-- preferences: one row per user, the record GET and PUT read and write by
-- its primary key, the only way it is looked up. purposes and vendors are
-- JSON objects of "<id>": true|false as the API takes them (validated by the
-- function, which also checks the ids against the vendor list). version
-- counts the changes of the record, for ETag / If-Match; updated_at orders
-- writes from imports (a record only moves forward: newer updated_at wins).
--
-- preference_history: every version, written by the same statement as the
-- record, so that a consent given at some time can be proven later. Its
-- primary key (user_id, version) serves the history page, newest first, by
-- an index scan of one user's rows; the foreign key erases the history with
-- the record in one DELETE (right to erasure).
--
-- No column is filled by a sequence: nextval() pins an RDS Proxy session,
-- and a per-user version needs none.
CREATE TABLE preferences (
	user_id    text PRIMARY KEY CHECK (octet_length(user_id) BETWEEN 1 AND 128),
	purposes   jsonb NOT NULL CHECK (jsonb_typeof(purposes) = 'object'),
	vendors    jsonb NOT NULL CHECK (jsonb_typeof(vendors) = 'object'),
	version    bigint NOT NULL CHECK (version > 0),
	updated_at timestamptz NOT NULL,
	source     text NOT NULL
);

CREATE TABLE preference_history (
	user_id    text NOT NULL REFERENCES preferences (user_id) ON DELETE CASCADE,
	version    bigint NOT NULL CHECK (version > 0),
	purposes   jsonb NOT NULL,
	vendors    jsonb NOT NULL,
	changed_at timestamptz NOT NULL,
	source     text NOT NULL,
	PRIMARY KEY (user_id, version)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON preferences, preference_history TO sluice_app;
