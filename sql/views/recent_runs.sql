-- The last ten runs, and every run still marked running (one that died shows as 'running'
-- here; `newsdedup status`, which holds the file, calls it interrupted).
create or replace view recent_runs as
with

ranked as (
    select
        run_id,
        command,
        status,
        started_at,
        finished_at,
        counts,
        error,
        row_number() over (order by started_at desc) as n,
    from main.runs
),

final as (
    select * exclude (n) from ranked where n <= 10 or status = 'running'
)

select * from final
