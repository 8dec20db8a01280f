-- Lines kept by the rule families, per document, hashed (casefolded words): what outlet
-- boilerplate is learned from. One row per distinct line of a document.
create table outlet_lines (
    line_hash varchar not null,
    outlet varchar not null,
    doc_id varchar not null,
    primary key (line_hash, doc_id)
);

-- Lines learned as one outlet's boilerplate: in at least learn_min_docs of its documents
-- and in no document of any other outlet (text shared across outlets is never learned).
create table learned_boilerplate (
    line_hash varchar primary key,
    outlet varchar not null,
    text varchar not null,
    n_docs integer not null,
    learned_at timestamp not null default current_timestamp
);
