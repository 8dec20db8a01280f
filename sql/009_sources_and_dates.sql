-- Every input that became a document, repeats of the same bytes included: a row per
-- (source, doc_id), with the first and the last run that read it.
create table input_sources (
    source varchar not null,  -- input path, path#line, path#record id, or '-' (stdin) #line
    doc_id varchar not null,
    first_run_id varchar,
    first_seen_at timestamp not null default current_timestamp,
    last_run_id varchar,
    last_seen_at timestamp not null default current_timestamp,
    primary key (source, doc_id)
);

insert into input_sources (source, doc_id, first_run_id, first_seen_at, last_run_id, last_seen_at)
select source, doc_id, run_id, ingested_at, run_id, ingested_at from documents;

-- Where documents.published_at came from: metadata (a manifest, sidecar or JSONL field),
-- markup (the page's own article:published_time or JSON-LD datePublished), crawl (a
-- WARC's WARC-Date, when the page names no date); null when there is no date.
alter table documents add column published_basis varchar;
update documents
set published_basis = case when source ilike '%.warc%#%' then 'crawl' else 'metadata' end
where published_at is not null;
