create or replace view syndication as
with

doc_pairs as (
    select * from main.doc_pairs where is_syndication
),

articles as (
    select a.doc_id, a.doc_seq, a.outlet, o.first_seen, o.dated, o.order_rank
    from main.articles as a
    inner join main.document_order as o on o.doc_seq = a.doc_seq
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
        case when a.order_rank < b.order_rank then a.doc_id else b.doc_id end as earlier_doc,
        earlier_basis(a.first_seen, b.first_seen, a.dated, b.dated) as earlier_basis,
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
        earlier_doc,
        earlier_basis,
        shared_words,
    from joined
)

select * from final
