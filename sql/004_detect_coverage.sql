-- Share of the shorter article covered by aligned spans: syndication that tolerates edits.
alter table doc_pairs add column coverage double not null default 0;
