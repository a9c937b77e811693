"""Disclosure classes as rules: which moves loosen access, and which legal basis fits a class.

Pure domain code shared by catalog.yaml, the API and the command line, so every path accepts and
refuses the same class changes:

- the classes from the most open to the most withheld: ``unconditional`` (无条件开放),
  ``conditional`` (有条件开放), ``closed`` (不予开放);
- moving towards ``unconditional`` **loosens** access and waits for review; any other move (or a
  new legal basis within a class) tightens or keeps it and takes effect at once;
- a ``conditional`` or ``closed`` dataset states its legal basis (the ground for withholding, e.g.
  《政府信息公开条例》第十五条); an ``unconditional`` one states none: a basis for withholding
  kept on open data would be stale, so it is refused rather than dropped silently.

A pending change moves through states ``pending`` → ``approved`` (its last review step applied it)
or ``rejected``, or ``superseded`` when another change of the same dataset took its place; a
change that takes effect at once is recorded as ``applied``.
"""

from __future__ import annotations

from opendata.core import vocab
from opendata.core.errors import Problem

# How much each class withholds: a move to a smaller number loosens access.
STRICTNESS = {"unconditional": 0, "conditional": 1, "closed": 2}
MAX_LEGAL_BASIS = 2000

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
SUPERSEDED = "superseded"
APPLIED = "applied"
CHANGE_STATES = (PENDING, APPROVED, REJECTED, SUPERSEDED, APPLIED)


def is_loosening(current: str, target: str) -> bool:
    """True when moving a dataset from class ``current`` to ``target`` gives access to more people."""
    return STRICTNESS[target] < STRICTNESS[current]


def legal_basis_problems(disclosure: str, legal_basis: str | None, *, path: str = "legal_basis") -> list[Problem]:
    """What is wrong with ``legal_basis`` for a dataset of class ``disclosure`` (empty when it fits)."""
    basis = (legal_basis or "").strip()
    if disclosure == "unconditional":
        if basis:
            return [Problem("legal-basis-not-fitting",
                            "an unconditional dataset states no legal basis for withholding: remove "
                            "'legal_basis' (the previous basis stays in the audit log and the change record)",
                            path=path)]
        return []
    if not basis:
        return [Problem("legal-basis-required",
                        f"a {disclosure} dataset must state its legal basis ('legal_basis'), e.g. "
                        "《中华人民共和国政府信息公开条例》第十五条", path=path)]
    if len(basis) > MAX_LEGAL_BASIS:
        return [Problem("legal-basis-too-long", f"the legal basis has {len(basis)} characters; the limit is "
                        f"{MAX_LEGAL_BASIS}", path=path)]
    return []


def disclosure_key(value: str | None) -> str | None:
    """The internal class for a key, Chinese name or alias (None when unknown)."""
    term = vocab.lookup("disclosure", value or "")
    return term.key if term is not None else None
