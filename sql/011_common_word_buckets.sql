-- Word-lane buckets that hold their word_max_bucket + 1 earliest documents: a later
-- document's row in one would rank past the cap and link nothing, so it is not stored
-- (`head_until` is the doc_seq of the bucket's last counted document; a row of a document
-- at or before it is still stored, as when a forgotten document is sketched again). A
-- common pair of words then costs a new article nothing at the band join, however many
-- articles carry it.
create table common_word_buckets (
    band_hash bigint not null,
    head_until bigint not null
);
