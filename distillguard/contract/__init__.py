"""The input contract (../shared/data-contract.md): read, validate, normalise.

``from distillguard.contract import load_inputs, load_world, ContractError, Inputs``.
"""

from distillguard.contract.load import Inputs, load_inputs, load_world
from distillguard.contract.report import ContractError, TableReport, ValidationReport, Violation

__all__ = [
    "ContractError",
    "Inputs",
    "TableReport",
    "ValidationReport",
    "Violation",
    "load_inputs",
    "load_world",
]
