-- Detection owns its rows: it notices by itself which documents' clean text changed since
-- they were sketched (cleaned.cleaned_at later than sketched_at) and recomputes them; the
-- clean stage never writes detection's tables. Rows stored before this were consistent
-- (cleaning deleted detection's rows of what it re-cleaned): they count as sketched now.
alter table doc_signatures add column sketched_at timestamp default current_timestamp;
-- every parameter behind a parameter id (JSON), beside the few columns kept from before
alter table detect_params add column params varchar;
