-- One row per pipeline run (relief run, and each scheduled flow): what it did and how
-- long each stage took. Written by pipelines/flows.py; column meanings in
-- docs/data-dictionary.md ("runs") and docs/operations.md.
-- A row is inserted as 'running' when the run takes the writer lock and completed at
-- its end, so a row still 'running' when the next run starts belonged to a killed run;
-- that next run marks it 'interrupted' and finishes its work.

create sequence run_id_seq start 1;

create table runs (
    run_id                bigint primary key,
    flow                  varchar not null,
    prefect_flow_run_id   varchar,
    task_runner           varchar,
    started_at            timestamp not null,
    finished_at           timestamp,
    status                varchar not null,
    recovered_run_id      bigint,
    files_seen            integer not null default 0,
    files_loaded          integer not null default 0,
    files_unchanged       integer not null default 0,
    files_refused         integer not null default 0,
    rows_read             bigint not null default 0,
    rows_loaded           bigint not null default 0,
    rows_quarantined      bigint not null default 0,
    synthesize_seconds    double,
    ingest_seconds        double,
    publish_seconds       double,
    stats_seconds         double,
    model_seconds         double,
    report_seconds        double,
    total_seconds         double,
    model_version         varchar,
    model_promoted        boolean,
    model_reason          varchar,
    report_period         varchar,
    report_path           varchar,
    skipped               varchar,
    error_message         varchar
);
