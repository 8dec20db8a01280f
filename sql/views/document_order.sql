-- The one rule for "who was first", read by every view that names a first document and by
-- `newsdedup explain`: a document's time is its published_at or, when it is undated, the
-- time it was ingested (the first evidence the store has of it); equal times go by ingest
-- order. order_rank numbers every article by that rule.
create or replace view document_order as
with

articles as (
    select doc_id, doc_seq, published_at, ingested_at from main.articles
),

final as (
    select
        doc_id,
        doc_seq,
        published_at,
        ingested_at,
        coalesce(published_at, ingested_at) as first_seen,
        published_at is not null as dated,
        row_number() over (
            order by coalesce(published_at, ingested_at), doc_seq
        ) as order_rank,
    from articles
)

select * from final;

-- What decided which of two documents came first: 'published_at' (both dated, at different
-- times), 'ingest_order' (both undated, or the same time) or 'published_at+ingest_order'
-- (one dated, one placed by when it was ingested).
create or replace macro earlier_basis(seen_a, seen_b, dated_a, dated_b) as
    case
        when seen_a = seen_b or not (dated_a or dated_b) then 'ingest_order'
        when dated_a and dated_b then 'published_at'
        else 'published_at+ingest_order'
    end;
