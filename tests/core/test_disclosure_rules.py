"""Disclosure rules (pure): which moves loosen access, and which legal basis fits each class."""

from __future__ import annotations

import pytest

from opendata.core.disclosure import (
    MAX_LEGAL_BASIS,
    disclosure_key,
    is_loosening,
    legal_basis_problems,
)

ORDER = ["unconditional", "conditional", "closed"]  # from the most open to the most withheld


@pytest.mark.parametrize("current", ORDER)
@pytest.mark.parametrize("target", ORDER)
def test_only_moves_towards_unconditional_loosen(current, target):
    assert is_loosening(current, target) == (ORDER.index(target) < ORDER.index(current))


@pytest.mark.parametrize(("disclosure", "legal_basis", "code"), [
    ("conditional", None, "legal-basis-required"),
    ("closed", "   ", "legal-basis-required"),
    ("closed", "第" * (MAX_LEGAL_BASIS + 1), "legal-basis-too-long"),
    ("unconditional", "《条例》第十四条", "legal-basis-not-fitting"),
])
def test_a_legal_basis_that_does_not_fit_the_class_is_a_problem_naming_the_field(disclosure, legal_basis, code):
    (problem,) = legal_basis_problems(disclosure, legal_basis, path="datasets/3/legal_basis")
    assert (problem.code, problem.path) == (code, "datasets/3/legal_basis")


@pytest.mark.parametrize(("disclosure", "legal_basis"), [
    ("unconditional", None), ("unconditional", ""), ("conditional", "《条例》第十五条"), ("closed", "《条例》第十四条"),
])
def test_a_fitting_legal_basis_is_no_problem(disclosure, legal_basis):
    assert legal_basis_problems(disclosure, legal_basis) == []


def test_chinese_names_and_aliases_name_the_classes():
    assert [disclosure_key(v) for v in ("无条件开放", "有条件开放", "不予开放", "closed", "secret", None)] == [
        "unconditional", "conditional", "closed", "closed", None, None]
