"""Plots of a training or evaluation run (PNG files; logged to MLflow by the caller)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pr_roc(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], out_dir: Path, prefix: str = ""
) -> list[Path]:
    """PR and ROC curves (log-scaled FPR) for each name -> (y, score); returns the two paths."""
    plt = _plt()
    fig_pr, ax_pr = plt.subplots(figsize=(5, 4))
    fig_roc, ax_roc = plt.subplots(figsize=(5, 4))
    for name, (y, s) in curves.items():
        y = np.asarray(y)
        if len(np.unique(y)) < 2:
            continue
        p, r, _ = precision_recall_curve(y, s)
        ax_pr.plot(r, p, label=name)
        fpr, tpr, _ = roc_curve(y, s)
        ax_roc.plot(np.clip(fpr, 1e-5, 1), tpr, label=name)
    ax_pr.set(xlabel="recall", ylabel="precision", title="precision-recall (held out)")
    ax_roc.set(xscale="log", xlabel="false-positive rate", ylabel="recall", title="ROC (held out)")
    for ax in (ax_pr, ax_roc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    paths = [out_dir / f"{prefix}pr_curve.png", out_dir / f"{prefix}roc_curve.png"]
    for fig, path in zip((fig_pr, fig_roc), paths, strict=True):
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return paths


def calibration(y: np.ndarray, prob: np.ndarray, path: Path, n_bins: int = 10) -> Path:
    """Reliability diagram: mean predicted probability vs observed rate, quantile bins."""
    plt = _plt()
    df = pd.DataFrame({"y": np.asarray(y), "p": np.asarray(prob)})
    df["bin"] = pd.qcut(df["p"].rank(method="first"), n_bins, labels=False)
    g = df.groupby("bin").agg(p=("p", "mean"), y=("y", "mean"), n=("y", "size"))
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], ls="--", c="grey")
    ax.plot(g["p"], g["y"], marker="o")
    ax.set(xlabel="mean calibrated probability", ylabel="observed campaign share")
    ax.set_title("calibration (held-out snapshots)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def detection_cdf(hours: dict[str, np.ndarray], path: Path, title: str) -> Path:
    """Cumulative share of accounts flagged by hours after their first request (NaN = never)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, h in hours.items():
        h = np.asarray(h, dtype=float)
        if len(h) == 0:
            continue
        xs = np.sort(h[~np.isnan(h)])
        ax.step(xs, np.arange(1, len(xs) + 1) / len(h), where="post", label=f"{name} (n={len(h)})")
    ax.set(xlabel="hours after first request", ylabel="share of accounts flagged", title=title)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def importance(imp: pd.Series, path: Path, top: int = 25) -> Path:
    """Horizontal bar chart of the top features by mean |SHAP| (or gain)."""
    plt = _plt()
    s = imp.head(top)[::-1]
    fig, ax = plt.subplots(figsize=(6, 0.25 * len(s) + 1))
    ax.barh(s.index, s.to_numpy())
    ax.set(xlabel=imp.name or "importance", title="global feature importance")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def beeswarm(contrib: np.ndarray, X: pd.DataFrame, path: Path, top: int = 20) -> Path:
    """SHAP beeswarm of TreeSHAP contributions (last column of `contrib` = expected value)."""
    import shap

    plt = _plt()
    data = X.copy()
    for c in data.columns:
        if isinstance(data[c].dtype, pd.CategoricalDtype):
            data[c] = data[c].cat.codes.replace(-1, np.nan).astype(float)
    exp = shap.Explanation(
        values=contrib[:, :-1],
        base_values=contrib[:, -1],
        data=data.to_numpy(dtype=float),
        feature_names=list(X.columns),
    )
    plt.figure(figsize=(7, 6))
    shap.plots.beeswarm(exp, max_display=top, show=False)
    plt.title("SHAP (raw margin), held-out snapshots")
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close("all")
    return path


def confusion(counts: dict[str, int], path: Path, title: str) -> Path:
    """2x2 confusion matrix at the threshold."""
    plt = _plt()
    m = np.array([[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]])
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    ax.imshow(np.log1p(m), cmap="Blues")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:,}", ha="center", va="center")
    ax.set_xticks([0, 1], ["not flagged", "flagged"])
    ax.set_yticks([0, 1], ["legitimate", "campaign"])
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
