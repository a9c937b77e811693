"""Report service fixtures: the basic catalogue with staff, and two years of requests."""

from tests.report_fixtures import report_policy, seeded, two_years, two_years_database  # noqa: F401
