-- Run once per environment, on AWS only, as the RDS master user
-- (sluice_admin, its password in the secret the database stack's
-- MasterSecretArn output names), from inside the VPC: docs/database.md,
-- "The first deploy of an environment". Not a migration: the migrations run
-- as sluice_migrator, which this file creates, and cannot create themselves.
--
-- Both roles log in with IAM tokens only (rds_iam): sluice_app through RDS
-- Proxy (which also uses IAM towards the database, end to end), and
-- sluice_migrator directly, from the migrate function. The master password
-- stays a break-glass credential that nothing in the service uses.
--
-- 0001_app_role.sql finds sluice_app made here and only sets its timeouts,
-- which on PostgreSQL 16 needs ADMIN OPTION on the role (granted below).
CREATE ROLE sluice_app LOGIN;
GRANT rds_iam TO sluice_app;

-- The migrator owns the service's database (and so its public schema), may
-- create the preview databases of the dev environment (CREATEDB), and
-- administers sluice_app.
CREATE ROLE sluice_migrator LOGIN CREATEDB;
GRANT rds_iam TO sluice_migrator;
GRANT sluice_app TO sluice_migrator WITH ADMIN OPTION;
ALTER DATABASE sluice OWNER TO sluice_migrator;
