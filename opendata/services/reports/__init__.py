"""Annual disclosure reports: staff entries, table 三 counted from requests, drafts, published versions
and the publication board. Each use case owns its transaction; the computations are in
opendata.core.reports."""
