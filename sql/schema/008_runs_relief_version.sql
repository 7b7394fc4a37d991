-- Which relief did each run: the version of the installed package
-- (pipelines.__version__, also printed by `relief --version`). Older rows stay null.
alter table runs add column relief_version varchar;
