create or replace view passage_pairs as
with

alignments as (
    select * from main.alignments
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
        l.a_start as start_a,
        l.a_end as end_a,
        l.b_start as start_b,
        l.b_end as end_b,
        greatest(l.a_words, l.b_words) as n_words,
        l.matched_words / greatest(l.a_words, l.b_words, 1) as similarity,
        l.kind,
        l.lane,
        l.nested,
        greatest(l.a_quote_share, l.b_quote_share) >= 0.5 as is_quote,
        case when a.order_rank < b.order_rank then a.doc_id else b.doc_id end as earlier_doc,
        earlier_basis(a.first_seen, b.first_seen, a.dated, b.dated) as earlier_basis,
        l.a_words,
        l.b_words,
        l.matched_words,
    from alignments as l
    inner join articles as a on a.doc_seq = l.doc_a
    inner join articles as b on b.doc_seq = l.doc_b
),

final as (
    select
        doc_a,
        doc_b,
        outlet_a,
        outlet_b,
        start_a,
        end_a,
        start_b,
        end_b,
        n_words,
        round(similarity, 4) as similarity,
        kind,
        is_quote,
        earlier_doc,
        earlier_basis,
        lane,
        nested,
        a_words,
        b_words,
        matched_words,
    from joined
)

select * from final
