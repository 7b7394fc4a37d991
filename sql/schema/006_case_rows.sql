-- What loading adds to rows of contract columns: the derived buckets of
-- 002_buckets.sql, named as `cases` names them. The one definition used by the batch
-- load (sql/load/cases.sql) and by fixtures and benchmarks that write cases
-- directly:
--   insert into cases by name
--   select *, 'synthetic' as source, 1 as batch_id from with_derived_buckets('incoming')
-- Column meanings: docs/data-dictionary.md.

create macro with_derived_buckets(relation_name) as table
    select
        *,
        overdue_bucket(overdue_days) as overdue_bucket,
        prior_overdues_bucket(prior_overdues_12m) as prior_overdues_bucket,
        documents_submitted(doc_income_proof, doc_bank_statement, doc_hardship_evidence)
            as documents_submitted
    from query_table(relation_name);
