-- One migration applied (in the same transaction as the migration itself).
insert into schema_migrations (version, name, applied_at)
values ($version, $name, $applied_at)
