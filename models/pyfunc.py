"""The MLflow pyfunc flavour of DistillGuardModel: predict returns score + flagged.

``mlflow.pyfunc.load_model(uri).predict(df)`` gives a frame with ``score`` (calibrated
probability) and ``flagged`` (score at or above the trained threshold);
``.unwrap_python_model().model`` gives the DistillGuardModel itself (SHAP, reference).
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

from models.detector import DistillGuardModel


class DistillGuardPyfunc(mlflow.pyfunc.PythonModel):
    """mlflow PythonModel wrapping a DistillGuardModel."""

    def __init__(self, model: DistillGuardModel) -> None:
        self.model = model

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        """Score a feature frame: columns ``score`` (float) and ``flagged`` (bool)."""
        margin = self.model.margin(model_input)
        return pd.DataFrame(
            {
                "score": self.model.calibrator(margin),
                "flagged": margin >= self.model.margin_threshold,
            },
            index=model_input.index,
        )


def input_example(model: DistillGuardModel, X: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """A few rows of model inputs in plain types (categoricals as str, numerics as float)."""
    ex = X[model.feature_names].head(n).copy()
    for c in model.feature_names:
        if c in model.categories:
            ex[c] = ex[c].astype(object).where(ex[c].notna(), None).astype(object)
        else:
            ex[c] = pd.to_numeric(ex[c], errors="coerce").astype("float64")
    return ex.reset_index(drop=True)
