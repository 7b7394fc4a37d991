-- The table macro case_outcome_facts() of earlier versions (migration 004, then
-- sql/macros/) is kept for analysts' saved queries as a name for the facts view it
-- became; the definition lives once, in sql/facts/case_facts.sql. Created after the
-- view on each refresh: DuckDB binds a macro's tables when the macro is created.
create or replace macro case_outcome_facts() as table select * from case_facts
