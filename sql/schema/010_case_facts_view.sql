-- The per-case outcome facts become the first node of the facts layer: the view
-- case_facts (sql/facts/case_facts.sql), built by each refresh before the marts
-- that read it. The table macro case_outcome_facts() (created by migration 004,
-- later in sql/macros/) reads cases itself; it is dropped here and recreated by each
-- refresh as a name for the view (sql/warehouse/case_outcome_facts_alias.sql).
drop macro table if exists case_outcome_facts;
