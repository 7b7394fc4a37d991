-- The per-case outcome facts become the first node of the facts layer: the view
-- case_facts (sql/facts/case_facts.sql), built by each refresh before the marts
-- that read it. The table macro case_outcome_facts() it replaces (created by
-- migration 004, later in sql/macros/) goes: `from case_facts` gives its rows.
drop macro table if exists case_outcome_facts;
