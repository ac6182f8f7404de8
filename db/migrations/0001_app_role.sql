-- The role the functions log in as, through RDS Proxy, and its timeouts.
--
-- Timeouts live on the role, not in the sessions: a SET (or set_config) from
-- the function would pin its RDS Proxy session (docs/database.md). A role's
-- settings apply to the sessions that start after they change, so a new
-- value reaches the proxy's connections as it replaces them.
--
-- statement_timeout stays well under the API's 10 s function timeout, so a
-- slow statement fails with an answer instead of a dead invocation;
-- lock_timeout keeps a request from queueing behind a long lock;
-- idle_in_transaction_session_timeout ends a transaction whose client went
-- away (a Lambda frozen between invocations holds nothing open this way).
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'sluice_app') THEN
		CREATE ROLE sluice_app LOGIN;
	END IF;
END
$$;

ALTER ROLE sluice_app SET statement_timeout = '5s';
ALTER ROLE sluice_app SET lock_timeout = '2s';
ALTER ROLE sluice_app SET idle_in_transaction_session_timeout = '10s';
