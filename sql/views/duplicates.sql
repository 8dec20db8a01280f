-- One row per document that repeats an earlier one, in any outlet, its own included:
-- duplicate_of is the earliest document it repeats (the project's first-document rule,
-- main.document_order), story the first document of the chain it belongs to.
-- relation: 'exact' (the same clean text), 'duplicate' (the same outlet, near-identical:
-- a story published twice, lightly edited), 'republished' (another outlet's near-identical
-- copy: syndication). similarity: shingle Jaccard (1 for exact).
create or replace view duplicates as
with recursive

articles as (
    select a.doc_id, a.doc_seq, a.outlet, md5(a.clean_text) as text_hash, o.order_rank
    from main.articles as a
    inner join main.document_order as o on o.doc_seq = a.doc_seq
),

pairs as (
    select
        case when a.order_rank > b.order_rank then a.doc_id else b.doc_id end as doc_id,
        case when a.order_rank > b.order_rank then b.doc_id else a.doc_id end as duplicate_of,
        least(a.order_rank, b.order_rank) as earlier_rank,
        a.text_hash = b.text_hash as same_text,
        a.outlet = b.outlet as same_outlet,
        p.jaccard,
    from main.doc_pairs as p
    inner join articles as a on a.doc_seq = p.doc_a
    inner join articles as b on b.doc_seq = p.doc_b
    where p.is_syndication
),

-- identical texts always count, whether or not detection paired them
exact as (
    select
        doc_id,
        first_value(doc_id) over text_group as duplicate_of,
        first_value(order_rank) over text_group as earlier_rank,
        true as same_text,
        outlet = first_value(outlet) over text_group as same_outlet,
        1.0 as jaccard,
    from articles
    window text_group as (partition by text_hash order by order_rank)
),

links as (
    select * from pairs
    union all
    select * from exact where doc_id <> duplicate_of
),

earliest as (
    select
        doc_id,
        arg_min(duplicate_of, earlier_rank) as duplicate_of,
        arg_min(same_text, earlier_rank) as same_text,
        arg_min(same_outlet, earlier_rank) as same_outlet,
        arg_min(jaccard, earlier_rank) as jaccard,
    from links
    group by doc_id
),

chains (doc_id, story, depth) as (
    select doc_id, duplicate_of, 1 from earliest
    union all
    select c.doc_id, e.duplicate_of, c.depth + 1
    from chains as c
    inner join earliest as e on e.doc_id = c.story
    where c.depth < 100
),

stories as (
    select doc_id, arg_max(story, depth) as story from chains group by doc_id
),

final as (
    select
        e.doc_id,
        e.duplicate_of,
        case
            when e.same_text then 'exact'
            when e.same_outlet then 'duplicate'
            else 'republished'
        end as relation,
        round(e.jaccard, 4) as similarity,
        a.outlet,
        b.outlet as duplicate_of_outlet,
        s.story,
    from earliest as e
    inner join stories as s on s.doc_id = e.doc_id
    inner join articles as a on a.doc_id = e.doc_id
    inner join articles as b on b.doc_id = e.duplicate_of
)

select * from final
