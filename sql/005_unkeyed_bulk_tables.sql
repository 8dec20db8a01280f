-- The two largest tables lose their primary keys: each key is an in-memory index of every
-- row (at 100,000 articles: 1.2M line keys, 3.4M passage keys) that costs insert time and
-- space and answers no query. Rows stay unique without it: record_lines inserts only rows
-- not stored yet (an anti join), and a document's passages are written once, in the
-- transaction that stores its bands (and deleted with them when it is cleaned again).
-- DuckDB cannot drop a key in place: each table is copied.
create table outlet_lines_unkeyed (
    line_hash varchar not null,
    outlet varchar not null,
    doc_id varchar not null
);
insert into outlet_lines_unkeyed select line_hash, outlet, doc_id from outlet_lines;
drop table outlet_lines;
alter table outlet_lines_unkeyed rename to outlet_lines;

create table passages_unkeyed (
    doc_seq bigint not null,
    passage_no integer not null,
    start_char integer not null,
    end_char integer not null,
    n_words integer not null
);
insert into passages_unkeyed
select doc_seq, passage_no, start_char, end_char, n_words from passages;
drop table passages;
alter table passages_unkeyed rename to passages;
