-- One row per story: every document that repeats no earlier one, with the copies that
-- repeat it (main.duplicates), the outlets that carried it and the inputs it came from.
create or replace view unique_articles as
with

articles as (
    select doc_id, outlet, url, title, published_at, n_words, clean_text from main.articles
),

copies as (
    select story, count(*) as n_copies, list(distinct outlet order by outlet) as outlets
    from main.duplicates
    group by story
),

inputs as (
    select s.doc_id, count(*) as n_sources from main.sources as s group by s.doc_id
),

story_inputs as (
    select coalesce(d.story, i.doc_id) as story, sum(i.n_sources) as n_sources
    from inputs as i
    left join main.duplicates as d on d.doc_id = i.doc_id
    group by 1
),

final as (
    select
        a.doc_id,
        a.outlet,
        a.title,
        a.url,
        a.published_at,
        a.n_words,
        coalesce(c.n_copies, 0) as n_copies,
        list_sort(list_distinct(list_concat([a.outlet], coalesce(c.outlets, [])))) as outlets,
        coalesce(si.n_sources, 1) as n_sources,
        a.clean_text,
    from articles as a
    left join copies as c on c.story = a.doc_id
    left join story_inputs as si on si.story = a.doc_id
    where a.doc_id not in (select doc_id from main.duplicates)
)

select * from final
