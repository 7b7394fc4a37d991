-- One row per build of the facts and marts (sql/schema/005_materialized_marts.sql).
insert into mart_refreshes (
    refreshed_at, last_batch_id, cases, case_versions, definitions_hash, seconds
)
values (
    $refreshed_at, $last_batch_id, $cases, $case_versions, $definitions_hash, $seconds
)
