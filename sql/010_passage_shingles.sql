-- Each passage's distinct word shingles (the exact lane's set), so the band join verifies
-- exact-lane candidates in SQL as it does word-lane ones: the chance candidates of stock
-- phrases never leave the database, and only documents of verified pairs are read and
-- sketched again for alignment. `stems` now holds every passage's set (the word lane's
-- bands still need word_min_words of them), so a document's stems are its passages'.
alter table passages add column shingles uinteger[];
