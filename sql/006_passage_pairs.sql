-- Each aligned pair says how it was found and how much of it is quoted, so passage_pairs
-- can tell verbatim copies from edited ones and quoted sources from prose:
-- kind: verbatim (every word matched) | edited (exact seeds across edits) | paraphrase
-- (matched on sentence word sets, few exact runs). Quote shares: of each side's range.
alter table alignments add column kind varchar not null default 'edited';
alter table alignments add column a_quote_share double not null default 0;
alter table alignments add column b_quote_share double not null default 0;
-- exact: word runs | sentence: sentences sharing their content words (reworded text);
-- nested: an exact span inside a sentence-lane span of the same pair (both are kept)
alter table alignments add column lane varchar not null default 'exact';
alter table alignments add column nested boolean not null default false;
-- duplicate | republished | partial, for syndication pairs (null for the others)
alter table doc_pairs add column relation varchar;
-- A range of a document may now sit in two clusters (a sentence inside a long shared
-- stretch is a text of its own): occurrences are keyed by cluster. DuckDB cannot change a
-- key in place: the table is copied.
create table occurrences_by_cluster (
    doc_seq bigint not null,
    start_char integer not null,
    end_char integer not null,
    n_words integer not null,
    quote_share double not null,
    is_quote boolean not null,
    cluster_id varchar not null,
    primary key (cluster_id, doc_seq, start_char)
);
insert into occurrences_by_cluster select * from occurrences;
drop table occurrences;
alter table occurrences_by_cluster rename to occurrences;
