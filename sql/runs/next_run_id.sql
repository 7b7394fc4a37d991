select nextval('run_id_seq') as run_id
