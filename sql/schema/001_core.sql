-- The warehouse's core tables: what came in (ingest_log), the current version of
-- every case (cases), the versions later replaced (case_versions; case_history is
-- the view of both) and what was refused (quarantine).
-- Column meanings: docs/data-dictionary.md.

create sequence batch_id_seq start 1;

create table ingest_log (
    batch_id          bigint primary key,
    file              varchar not null,
    content_hash      varchar,
    source            varchar,
    status            varchar not null,
    rows_read         bigint not null,
    rows_loaded       bigint not null,
    rows_quarantined  bigint not null,
    rows_skipped      bigint not null,
    refused           boolean not null,
    message           varchar,
    ingested_at       timestamp not null
);

create table cases (
    case_id                varchar not null,
    source                 varchar not null,
    applied_on             date not null,
    decided_on             date,
    product                varchar not null,
    route                  varchar not null,
    channel                varchar,
    outstanding_amount     decimal(18, 2),
    overdue_days           integer,
    prior_overdues_12m     integer,
    good_history_months    integer,
    broke_prior_agreement  boolean,
    hardship_reason        varchar,
    doc_income_proof       boolean,
    doc_bank_statement     boolean,
    doc_hardship_evidence  boolean,
    requested_months       integer,
    age_band               varchar,
    region                 varchar,
    outcome                varchar not null,
    granted_route          varchar,
    granted_months         integer,
    waived_amount          decimal(18, 2),
    plan_status            varchar,
    overdue_bucket         varchar not null,
    prior_overdues_bucket  varchar not null,
    documents_submitted    varchar not null,
    batch_id               bigint not null
);

-- Versions of a case that a later batch replaced, moved here from `cases`; each
-- version is written once, so a load costs one write per row, not two.
create table case_versions as select * from cases with no data;

-- Every ingested version: the current ones and the replaced ones.
create view case_history as
select batch_id, source, case_id, applied_on, decided_on, product, route, channel,
       outstanding_amount, overdue_days, prior_overdues_12m, good_history_months,
       broke_prior_agreement, hardship_reason, doc_income_proof, doc_bank_statement,
       doc_hardship_evidence, requested_months, age_band, region, outcome, granted_route,
       granted_months, waived_amount, plan_status
from (select * from cases union all select * from case_versions);

create table quarantine (
    batch_id     bigint not null,
    file         varchar not null,
    line         bigint,
    case_id      varchar,
    column_name  varchar,
    rule         varchar not null,
    reason       varchar not null,
    value        varchar,
    row_content  varchar
);
