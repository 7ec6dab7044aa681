-- A year's annual report as it was published (定稿): the report JSON of
-- contracts/annual-report.md, frozen. The next year's report checks its
-- 二（上年结转）against this 四 (RULES.md §2.6 C7). Publishing again
-- replaces it and records who and when.
CREATE TABLE published_reports (
    year         INTEGER PRIMARY KEY,
    json         TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL
);
