-- The statistics marts (sql/marts/*.sql) become tables, materialized by
-- warehouse.refresh_marts when the cases or the marts' definitions changed, and
-- published with the rest: analysts read finished figures instead of recomputing
-- six aggregations (ten grouping sets with exact quantiles among them) per query.
-- Before this migration they were views, re-created on every connection.
-- Column meanings: docs/data-dictionary.md.

drop view if exists period_change;
drop view if exists plan_adherence;
drop view if exists route_outcomes;
drop view if exists route_outcomes_by_segment;
drop view if exists route_outcomes_monthly;
drop view if exists route_switches;

-- One row per materialization of the marts: when, over which cases, from which
-- definitions. The newest row says what the mart tables in this database show.
create table mart_refreshes (
    refreshed_at      timestamp not null,
    last_batch_id     bigint,
    cases             bigint not null,
    case_versions     bigint not null,
    definitions_hash  varchar not null,
    seconds           double not null
);
