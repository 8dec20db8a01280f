create or replace view syndication as
with

doc_pairs as (
    select * from main.doc_pairs where is_syndication
),

articles as (
    select doc_id, doc_seq, outlet, published_at from main.articles
),

joined as (
    select
        a.doc_id as doc_a,
        b.doc_id as doc_b,
        a.outlet as outlet_a,
        b.outlet as outlet_b,
        p.jaccard,
        p.containment,
        p.coverage,
        p.relation,
        p.shared_words,
        a.published_at as published_a,
        b.published_at as published_b,
        a.doc_seq as seq_a,
        b.doc_seq as seq_b,
    from doc_pairs as p
    inner join articles as a on a.doc_seq = p.doc_a
    inner join articles as b on b.doc_seq = p.doc_b
    where a.outlet <> b.outlet
),

final as (
    select
        doc_a,
        doc_b,
        outlet_a,
        outlet_b,
        round(jaccard, 4) as jaccard,
        round(containment, 4) as containment,
        round(coverage, 4) as coverage,
        relation,
        case
            when published_a is not null and published_b is not null and published_a <> published_b
                then case when published_a < published_b then doc_a else doc_b end
            else case when seq_a < seq_b then doc_a else doc_b end
        end as earlier_doc,
        case
            when published_a is not null and published_b is not null and published_a <> published_b
                then 'published_at'
            else 'ingest_order'
        end as earlier_basis,
        shared_words,
    from joined
)

select * from final
