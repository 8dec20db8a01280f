-- One row per input that became a document (a file, a JSONL line, a WARC record, a line of
-- stdin), repeats of the same bytes under other names included: inputs = sources +
-- rejected_inputs. is_repeat: the document was first stored from another source.
create or replace view sources as
with

sources as (
    select * from main.input_sources
),

documents as (
    select doc_id, doc_seq, source, outlet from main.documents
),

final as (
    select
        s.source,
        s.doc_id,
        d.outlet,
        s.first_run_id as run_id,
        s.first_seen_at as ingested_at,
        s.source <> d.source as is_repeat,
        s.last_run_id,
        s.last_seen_at,
        d.doc_seq,
    from sources as s
    inner join documents as d on d.doc_id = s.doc_id
)

select * from final
