-- A killed run's row, closed by the run that finds it (it then finishes the work).
update runs
set status = 'interrupted',
    error_message = 'the process stopped before the run finished'
where status = 'running'
