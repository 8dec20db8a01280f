create or replace view outlet_originality as
with

articles as (
    select outlet, doc_id, n_words from main.articles
),

reused as (
    -- words a document shares with a document that carried them earlier
    select outlet, sum(n_words) as shared_words
    from main.shared_passages
    where not is_first
    group by outlet
),

per_outlet as (
    select outlet, count(*) as n_docs, sum(n_words) as n_words
    from articles
    group by outlet
),

final as (
    select
        o.outlet,
        o.n_docs,
        o.n_words,
        coalesce(r.shared_words, 0) as shared_words,
        round(1 - coalesce(r.shared_words, 0) / greatest(o.n_words, 1), 4) as original_share,
    from per_outlet as o
    left join reused as r on r.outlet = o.outlet
)

select * from final
