-- The records of a batch that are not loaded: those breaking a per-row rule, those
-- sharing a case_id (batch_duplicate_ids) and those Python's exact checks found
-- personal data in (batch_personal_data). raw_text is what the pass kept of them.
create temp table batch_bad_rows as

with final as (
    select rowid as row_id, raw_text
    from batch_typed
    where breaks_rule
       or (not skipped and case_id in (select case_id from batch_duplicate_ids))
       or (pii_suspect and rowid in (select row_id from batch_personal_data))
)

select * from final
