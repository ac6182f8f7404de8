-- sluice:no-transaction
--
-- Audits ask what changed between two dates, across users; without this
-- index that question reads the whole history. It is built CONCURRENTLY, so
-- that writes go on while it builds, which cannot run in a transaction. A run
-- killed half-way leaves an INVALID index behind; the DROP removes it before
-- the next run builds the index again.
DROP INDEX CONCURRENTLY IF EXISTS preference_history_changed_at;
CREATE INDEX CONCURRENTLY preference_history_changed_at ON preference_history (changed_at);
