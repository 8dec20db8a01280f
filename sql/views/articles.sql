create or replace view articles as
with

documents as (
    select * from main.documents
),

cleaned as (
    select * from main.cleaned
),

final as (
    select
        d.doc_id,
        d.source,
        d.outlet,
        coalesce(d.url, c.url) as url,
        coalesce(d.title, c.title) as title,
        -- the page's own date (its metadata, markup, or the one trafilatura found) before
        -- the date a crawler fetched it
        case
            when d.published_basis = 'crawl' and c.published_at is not null then c.published_at
            else coalesce(d.published_at, c.published_at)
        end as published_at,
        c.clean_text,
        c.n_words,
        d.doc_seq,
        d.outlet_basis,
        d.format,
        d.ingested_at,
        case
            when d.published_basis = 'crawl' and c.published_at is not null then 'extracted'
            when d.published_at is not null then d.published_basis
            when c.published_at is not null then 'extracted'
        end as published_basis,
    from documents as d
    inner join cleaned as c on c.doc_id = d.doc_id
)

select * from final
