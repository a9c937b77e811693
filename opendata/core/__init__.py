"""The domain core: pure functions and data, no Flask and no database."""
