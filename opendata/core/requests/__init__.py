"""Disclosure requests (依申请公开), pure domain: outcomes, applicants, fees, the clock, the states."""
