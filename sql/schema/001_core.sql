-- The warehouse's core tables: what came in (ingest_log), every version of every
-- case (case_history), the current version (cases) and what was refused (quarantine).
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

create table case_history (
    batch_id               bigint not null,
    source                 varchar not null,
    case_id                varchar not null,
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
    plan_status            varchar
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
