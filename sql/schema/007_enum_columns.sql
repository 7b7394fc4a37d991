-- Enumerated columns of cases (and case_versions) become ENUM types: the contract's
-- values (pipelines/contract.py, in its order; tests/test_contract.py checks they
-- match) and the derived buckets' values (002_buckets.sql).
-- Why: a one-byte code per value instead of text. Writing a batch of cases costs
-- about a third as much per enumerated column, and the marts group by codes.
-- For readers nothing changes: an ENUM compares, joins and concatenates as text
-- (route = 'deferral', route = 'no such route' is simply false), and sorts in the
-- contract's order. Values cannot be added to an ENUM: a contract change that adds
-- a value is a new migration that re-types the column.
-- Column meanings: docs/data-dictionary.md.

create type product_value as enum (
    'revolving_credit', 'cash_loan', 'credit_card', 'consumer_loan', 'mortgage',
    'student_loan', 'vehicle_loan', 'other');
create type route_value as enum (
    'installment', 'deferral', 'interest_waiver', 'interest_suspension', 'settlement', 'other');
create type channel_value as enum (
    'app', 'hotline', 'online_chat', 'in_person', 'third_party', 'regulator');
create type hardship_reason_value as enum (
    'unemployment', 'income_drop', 'illness', 'business_failure', 'family_emergency',
    'disaster', 'over_indebted', 'other');
create type age_band_value as enum ('18-24', '25-34', '35-44', '45-54', '55-64', '65+');
create type outcome_value as enum ('approved', 'partial', 'rejected', 'withdrawn', 'pending');
create type plan_status_value as enum ('active', 'completed', 'broken');
create type overdue_bucket_value as enum ('0-30', '31-90', '91-180', '181+', 'unknown');
create type prior_overdues_bucket_value as enum ('0', '1', '2-3', '4+', 'unknown');
create type documents_submitted_value as enum ('0', '1', '2', '3', 'unknown');

alter table cases alter product type product_value;
alter table cases alter route type route_value;
alter table cases alter channel type channel_value;
alter table cases alter hardship_reason type hardship_reason_value;
alter table cases alter age_band type age_band_value;
alter table cases alter outcome type outcome_value;
alter table cases alter granted_route type route_value;
alter table cases alter plan_status type plan_status_value;
alter table cases alter overdue_bucket type overdue_bucket_value;
alter table cases alter prior_overdues_bucket type prior_overdues_bucket_value;
alter table cases alter documents_submitted type documents_submitted_value;

alter table case_versions alter product type product_value;
alter table case_versions alter route type route_value;
alter table case_versions alter channel type channel_value;
alter table case_versions alter hardship_reason type hardship_reason_value;
alter table case_versions alter age_band type age_band_value;
alter table case_versions alter outcome type outcome_value;
alter table case_versions alter granted_route type route_value;
alter table case_versions alter plan_status type plan_status_value;
alter table case_versions alter overdue_bucket type overdue_bucket_value;
alter table case_versions alter prior_overdues_bucket type prior_overdues_bucket_value;
alter table case_versions alter documents_submitted type documents_submitted_value;

-- The view's column types were fixed when it was created: create it again over the
-- re-typed tables (same definition as 001_core.sql).
create or replace view case_history as
select batch_id, source, case_id, applied_on, decided_on, product, route, channel,
       outstanding_amount, overdue_days, prior_overdues_12m, good_history_months,
       broke_prior_agreement, hardship_reason, doc_income_proof, doc_bank_statement,
       doc_hardship_evidence, requested_months, age_band, region, outcome, granted_route,
       granted_months, waived_amount, plan_status
from (select * from cases union all select * from case_versions);
