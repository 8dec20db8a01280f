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
        coalesce(d.published_at, c.published_at) as published_at,
        c.clean_text,
        c.n_words,
        d.doc_seq,
        d.outlet_basis,
        d.format,
        d.ingested_at,
    from documents as d
    inner join cleaned as c on c.doc_id = d.doc_id
)

select * from final
