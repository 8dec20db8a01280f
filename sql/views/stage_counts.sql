-- The store in one row: documents per stage and what waits for the next one (what
-- `newsdedup status` prints first).
create or replace view stage_counts as
with

final as (
    select
        (select count(*) from main.documents) as ingested,
        (select count(*) from main.cleaned) as cleaned,
        (select count(*) from main.detected) as detected,
        (select count(*) from main.rejected_inputs) as rejected,
        (
            select count(*) from main.documents
            where doc_id not in (select doc_id from main.cleaned)
                and doc_id not in (
                    select doc_id from main.rejected_inputs where doc_id is not null
                )
        ) as awaiting_clean,
        (select count(*) from main.cleaned)
            - (select count(*) from main.detected) as awaiting_detect,
        (select count(*) from main.reuse_clusters) as clusters,
        (select count(*) from main.syndication) as syndicated_pairs,
        (select count(*) from main.sources where is_repeat) as repeated_inputs,
        (select count(*) from main.duplicates) as duplicates,
        (select count(*) from main.unique_articles) as unique_articles,
)

select * from final
