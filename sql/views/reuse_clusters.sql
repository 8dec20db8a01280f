create or replace view reuse_clusters as
with

shared_passages as (
    select * from main.shared_passages
),

firsts as (
    select
        cluster_id,
        doc_id as first_doc_id,
        outlet as first_outlet,
        published_at as first_published_at,
        doc_seq as first_doc_seq,
        text as first_text,
    from shared_passages
    where is_first
),

document_order as (
    select doc_seq, first_seen from main.document_order
),

grouped as (
    select
        cluster_id,
        count(distinct doc_id) as n_docs,
        count(distinct outlet) as n_outlets,
        list(distinct outlet order by outlet) as outlets,
        count(*) as n_occurrences,
        count(*) filter (where is_quote) as n_quoted,
        count(published_at) as n_dated,
        max(n_words) as max_words,
    from shared_passages
    group by cluster_id
),

final as (
    select
        g.cluster_id,
        g.n_docs,
        g.n_outlets,
        g.outlets,
        f.first_doc_id,
        f.first_outlet,
        o.first_seen,
        case
            when g.n_dated = g.n_occurrences then 'published_at'
            when g.n_dated = 0 then 'ingest_order'
            else 'published_at+ingest_order'
        end as first_seen_basis,
        case
            when g.n_quoted = g.n_occurrences then 'quote'
            when g.n_quoted = 0 then 'prose'
            else 'mixed'
        end as kind,
        f.first_text as text,
        g.n_occurrences,
        g.max_words,
    from grouped as g
    inner join firsts as f on f.cluster_id = g.cluster_id
    inner join document_order as o on o.doc_seq = f.first_doc_seq
)

select * from final
