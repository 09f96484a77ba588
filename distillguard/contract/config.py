"""Settings of contract reading and validation (configs/contract.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from distillguard.config import CONFIGS, StrictModel, load_config


class ContractConfig(StrictModel):
    """How the contract is enforced.

    Attributes:
        enum_policy: "map" (a value outside an enumerated set becomes the set's
            catch-all or null, counted) or "violation" (refused / quarantined).
        strict_engine: how strict mode checks the rules: "aggregate" (every rule
            in one aggregate query, one scan per table) or "pandera" (a
            pandera.ibis DataFrameSchema, one query per rule); same rules, same errors.
        example_rows: offending rows shown per broken rule.
        simhash_batch_rows: distinct prompts per batch when filling prompt_simhash.
        duckdb_memory_limit: DuckDB ``memory_limit`` of the connection load_inputs
            opens (e.g. "8GB"; None: DuckDB's default, 80% of RAM); beyond it DuckDB
            spills to disk.
        duckdb_temp_directory: where that connection spills (None: the system temp
            directory, never the working directory).
    """

    enum_policy: Literal["map", "violation"] = "map"
    strict_engine: Literal["aggregate", "pandera"] = "pandera"
    example_rows: int = Field(5, ge=1, le=100)
    simhash_batch_rows: int = Field(100_000, ge=1_000)
    duckdb_memory_limit: str | None = None
    duckdb_temp_directory: str | None = None


def load_contract_config(path: str | Path | None = None) -> ContractConfig:
    """Read configs/contract.yaml (or `path`); defaults when the default file is absent."""
    p = Path(path) if path is not None else CONFIGS / "contract.yaml"
    if path is None and not p.exists():
        return ContractConfig()
    return load_config(p, ContractConfig)
