-- Inputs exactly as received, with their metadata.
create table documents (
    doc_id varchar primary key,  -- sha256(outlet, raw bytes), 16 hex chars
    doc_seq bigint not null unique,  -- ingest order, the fallback for "who was first"
    source varchar not null,  -- input path, URL or record id
    outlet varchar not null,
    outlet_basis varchar not null,  -- option | metadata | url | trailer | placeholder
    url varchar,
    title varchar,
    published_at timestamp,
    format varchar not null,  -- txt | html
    size_bytes bigint not null,
    raw blob not null,
    ingested_at timestamp not null default current_timestamp,
    run_id varchar
);

-- Inputs that could not become documents, kept with their reason and bytes.
create table rejected_inputs (
    rejected_id varchar primary key,  -- sha256(source, stage, reason)
    source varchar not null,
    stage varchar not null,  -- ingest | clean
    reason varchar not null,
    size_bytes bigint,
    raw blob,  -- the first bytes of the input, up to a limit
    doc_id varchar,  -- set when a stored document failed a later stage
    rejected_at timestamp not null default current_timestamp,
    run_id varchar
);

-- Clean article text and the metadata found while extracting it.
create table cleaned (
    doc_id varchar primary key,
    clean_text varchar not null,
    n_words integer not null,
    title varchar,
    author varchar,
    sitename varchar,
    url varchar,
    published_at timestamp,
    cleaner_version varchar not null,
    cleaned_at timestamp not null default current_timestamp
);

-- Every span the cleaner removed, and why.
create table removed_spans (
    doc_id varchar not null,
    span_no integer not null,
    kind varchar not null,
    text varchar not null,
    primary key (doc_id, span_no)
);

-- The parameters that produced the stored bands and signatures.
create table detect_params (
    param_id varchar primary key,
    num_perm integer not null,
    seed integer not null,
    scheme varchar not null,
    shingle_size integer not null,
    passage_bands integer not null,
    passage_rows integer not null,
    doc_bands integer not null,
    doc_rows integer not null,
    datasketch_version varchar not null,
    created_at timestamp not null default current_timestamp
);

create table passages (
    doc_seq bigint not null,
    passage_no integer not null,
    start_char integer not null,
    end_char integer not null,
    n_words integer not null,
    primary key (doc_seq, passage_no)
);

-- LSH band tables: candidates come from a join on (band_id, band_hash).
create table passage_bands (
    doc_seq bigint not null,
    passage_no integer not null,
    band_id smallint not null,
    band_hash bigint not null
);

create table doc_bands (
    doc_seq bigint not null,
    band_id smallint not null,
    band_hash bigint not null
);

create table doc_signatures (
    doc_seq bigint primary key,
    param_id varchar not null,
    signature uinteger[] not null
);

create table detected (
    doc_seq bigint primary key,
    n_candidates integer not null,
    detected_at timestamp not null default current_timestamp,
    run_id varchar
);

-- Verified document pairs (doc_a < doc_b by doc_seq).
create table doc_pairs (
    doc_a bigint not null,
    doc_b bigint not null,
    jaccard double not null,
    containment double not null,
    shared_words integer not null,
    n_spans integer not null,
    via varchar not null,  -- doc | passage | doc+passage
    is_syndication boolean not null,
    primary key (doc_a, doc_b)
);

-- Maximal shared spans between two documents, character offsets into clean_text.
create table alignments (
    doc_a bigint not null,
    doc_b bigint not null,
    a_start integer not null,
    a_end integer not null,
    b_start integer not null,
    b_end integer not null,
    a_words integer not null,
    b_words integer not null,
    matched_words integer not null
);

-- One occurrence of reused text in one document, grouped into clusters.
create table occurrences (
    doc_seq bigint not null,
    start_char integer not null,
    end_char integer not null,
    n_words integer not null,
    quote_share double not null,
    is_quote boolean not null,
    cluster_id varchar not null,
    primary key (doc_seq, start_char)
);

create table runs (
    run_id varchar primary key,
    command varchar not null,
    inputs varchar,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,  -- running | ok | partial | failed | interrupted
    counts json,
    error varchar,
    code_version varchar,
    library_versions json
);
