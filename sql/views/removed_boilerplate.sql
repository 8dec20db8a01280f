create or replace view removed_boilerplate as
with

removed_spans as (
    select * from main.removed_spans
),

documents as (
    select doc_id, outlet from main.documents
),

final as (
    select
        r.doc_id,
        d.outlet,
        r.kind,
        r.text,
        r.span_no,
    from removed_spans as r
    inner join documents as d on d.doc_id = r.doc_id
)

select * from final
