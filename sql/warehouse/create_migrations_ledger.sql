-- The migrations ledger: which numbered migration (sql/schema/NNN_name.sql) was
-- applied when. Created before the first migration runs, so it is not one itself.
create table if not exists schema_migrations (
    version integer primary key,
    name varchar not null,
    applied_at timestamp not null
)
