-- This run's row, 'running' until record_run.sql completes it; relief_version is the
-- version of relief that ran it (migration 008).
insert into runs (
    run_id, flow, prefect_flow_run_id, task_runner, started_at, status, recovered_run_id,
    relief_version
) values (
    $run_id, $flow, $prefect_flow_run_id, $task_runner, $started_at, 'running',
    $recovered_run_id, $relief_version
)
