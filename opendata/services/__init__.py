"""Use cases: the only writers. Plain functions over a session; keyword-only arguments."""
