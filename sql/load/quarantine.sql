-- The batch's rejected records (temp table batch_quarantine, masked by
-- pipelines/validate.py) with its batch id and file. Run in the batch's one
-- transaction.

insert into quarantine
select m.batch_id, m.file, q.line, q.case_id, q.column_name, q.rule, q.reason, q.value,
       q.row_content
from batch_quarantine q cross join batch_meta m;
