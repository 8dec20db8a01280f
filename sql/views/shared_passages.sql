create or replace view shared_passages as
with

occurrences as (
    select * from main.occurrences
),

articles as (
    select a.doc_id, a.doc_seq, a.outlet, a.published_at, a.clean_text, o.order_rank
    from main.articles as a
    inner join main.document_order as o on o.doc_seq = a.doc_seq
),

ordered as (
    select
        o.cluster_id,
        a.doc_id,
        a.outlet,
        a.published_at,
        o.start_char,
        o.end_char,
        substr(a.clean_text, o.start_char + 1, o.end_char - o.start_char) as text,
        o.n_words,
        o.is_quote,
        o.quote_share,
        a.doc_seq,
        row_number() over (
            partition by o.cluster_id
            order by a.order_rank, o.start_char
        ) as rank_in_cluster,
    from occurrences as o
    inner join articles as a on a.doc_seq = o.doc_seq
),

final as (
    select
        cluster_id,
        doc_id,
        outlet,
        published_at,
        start_char,
        end_char,
        text,
        is_quote,
        rank_in_cluster = 1 as is_first,
        n_words,
        quote_share,
        doc_seq,
        rank_in_cluster,
    from ordered
)

select * from final
