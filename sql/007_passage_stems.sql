-- The word lane's set of each passage (its distinct content-word stem hashes; null for a
-- passage with too few content words to take part), so the band join verifies word-lane
-- candidates in SQL: a candidate that shares only common words never leaves the database.
alter table passages add column stems uinteger[];
