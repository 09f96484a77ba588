"""A self-contained HTML report of a scoring run: flags with their reasons, rings, drift."""

from __future__ import annotations

import html

import pandas as pd

from scoring.batch import ScoreResult

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}
th{background:#f0f0f0;text-align:left} td.num{text-align:right}
ol{margin:0;padding-left:1.2em} .muted{color:#777}
"""


def _e(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return html.escape(str(v))


def _table(df: pd.DataFrame, num: set[str] = frozenset()) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = "".join(
            f'<td class="num">{_e(v)}</td>' if c in num else f"<td>{_e(v)}</td>"
            for c, v in zip(df.columns, rec, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(result: ScoreResult, *, top: int, max_rows: int, psi_warn: float) -> str:
    """The report as one HTML string (no external assets)."""
    s = result.scores
    flags = s[s["flagged"]].sort_values("rank").head(max_rows)
    rows = []
    for r in flags.itertuples(index=False):
        rec = r._asdict()
        items = "".join(
            f"<li>{_e(rec[f'reason_{i}_text'])} "
            f'<span class="muted">({_e(rec[f"reason_{i}_feature"])}, '
            f"SHAP {rec[f'reason_{i}_shap']:+.2f})</span></li>"
            for i in range(1, top + 1)
            if isinstance(rec.get(f"reason_{i}_text"), str)
        )
        rows.append(
            f'<tr><td class="num">{rec["rank"]}</td><td>{_e(rec["account_id"])}</td>'
            f'<td class="num">{rec["score"]:.3f}</td><td>{_e(rec["ring_id"])}</td>'
            f'<td class="num">{rec["ring_size"]}</td><td><ol>{items}</ol></td></tr>'
        )
    flag_table = (
        "<table><tr><th>rank</th><th>account</th><th>score</th><th>ring</th>"
        f"<th>ring size</th><th>top reasons</th></tr>{''.join(rows)}</table>"
    )
    rec = "".join(f"<li>{_e(k)}: {v:,}</li>" for k, v in result.reconciliation.items())
    rings = (
        _table(result.rings, {"size", "exchanges", "mean_score", "max_score"})
        if len(result.rings)
        else "<p>No ring: no two flagged accounts share a rare attribute.</p>"
    )
    drift = result.drift[result.drift > psi_warn]
    drift_html = (
        _table(drift.rename("psi").round(3).reset_index().rename(columns={"index": "feature"}))
        if len(drift)
        else f"<p>No feature with PSI above {psi_warn}.</p>"
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>distillguard flags as of {_e(result.as_of)}</title><style>{STYLE}</style></head><body>
<h1>distillguard flags as of {_e(result.as_of)}</h1>
<p>Model version {_e(result.model_version)}, threshold {result.threshold:.4f} on the calibrated
score, window {_e(result.window)}. Reasons are SHAP contributions (TreeSHAP) to the model's raw
margin (log-odds), before calibration; the calibration is monotone.</p>
<ul>{rec}</ul>
<h2>Flags ({len(s[s["flagged"]]):,}; top {len(flags):,} shown)</h2>{flag_table}
<h2>Rings ({len(result.rings)})</h2>{rings}
<h2>Drift (population stability index above {psi_warn})</h2>{drift_html}
</body></html>"""
