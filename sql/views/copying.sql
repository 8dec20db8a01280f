create or replace view copying as
with

shared_passages as (
    select * from main.shared_passages
),

sources as (
    select cluster_id, outlet as source_outlet from shared_passages where is_first
),

final as (
    select
        s.source_outlet,
        p.outlet as target_outlet,
        count(distinct p.doc_id) as n_docs,
        count(*) as n_passages,
        sum(p.n_words) as shared_words,
        coalesce(sum(p.n_words) filter (where p.is_quote), 0) as quote_words,
        coalesce(sum(p.n_words) filter (where not p.is_quote), 0) as prose_words,
    from shared_passages as p
    inner join sources as s on s.cluster_id = p.cluster_id
    where p.outlet <> s.source_outlet
    group by s.source_outlet, p.outlet
)

select * from final
