"""Terminal summary of a scoring run as rich renderables (the CLI prints them)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scoring.batch import ScoreResult


def reconciliation_text(result: ScoreResult) -> Text:
    """``accounts in input 25,000 >= active in window 9,812 = scored 9,812; flagged 412``."""
    rc = result.reconciliation
    ok = rc.get("active_in_window") == rc.get("accounts_scored")
    return Text.assemble(
        ("reconciliation: ", "bold"),
        f"accounts in input {rc.get('accounts_in_input', 0):,} >= "
        f"active in window {rc.get('active_in_window', 0):,} "
        f"({rc.get('events_in_window', 0):,} exchanges) = scored {rc.get('accounts_scored', 0):,}",
        (" ok" if ok else " MISMATCH", "green" if ok else "red bold"),
        f"; flagged {rc.get('flagged', 0):,} at threshold {result.threshold:.4f}"
        f" in {rc.get('rings', 0):,} ring(s)",
    )


def flags_table(result: ScoreResult, top: int, reasons: int) -> Table:
    """The top `top` flags with their first `reasons` reasons."""
    s = result.scores
    fl = s[s["flagged"]].sort_values("rank").head(top)
    n = int(s["flagged"].sum())
    t = Table(
        title=f"Top {len(fl)} of {n:,} flags as of {result.as_of:%Y-%m-%d %H:%M} UTC"
        f" (model v{result.model_version})",
        show_lines=True,
        title_justify="left",
    )
    for col, kw in (
        ("rank", {"justify": "right"}),
        ("account", {}),
        ("score", {"justify": "right"}),
        ("ring", {}),
        ("reasons (SHAP on the margin)", {"ratio": 1}),
    ):
        t.add_column(col, **kw)
    for r in fl.to_dict("records"):
        lines = [
            f"{r[f'reason_{i}_text']} [dim]({r[f'reason_{i}_shap']:+.2f})[/dim]"
            for i in range(1, reasons + 1)
            if isinstance(r.get(f"reason_{i}_text"), str)
        ]
        ring = f"{r['ring_id']} ({r['ring_size']})" if isinstance(r["ring_id"], str) else "-"
        t.add_row(str(r["rank"]), str(r["account_id"]), f"{r['score']:.3f}", ring, "\n".join(lines))
    return t


def rings_table(result: ScoreResult, top: int) -> Table | Text:
    """The largest `top` rings with their shared attributes and closest campaign."""
    if result.rings.empty:
        return Text("No ring: no two flagged accounts share a rare attribute.")
    t = Table(title=f"Rings ({len(result.rings):,})", show_lines=True, title_justify="left")
    cols = ["ring", "size", "exchanges", "max score", "shared attributes"]
    if result.campaign_match:
        cols.append("most like")
    for c in cols:
        t.add_column(c, justify="right" if c in ("size", "exchanges", "max score") else "left")
    for r in result.rings.head(top).to_dict("records"):
        row = [
            r["ring_id"],
            f"{r['size']:,}",
            f"{int(r['exchanges']):,}",
            f"{r['max_score']:.3f}",
            r["shared"],
        ]
        if result.campaign_match:
            like = r.get("campaign_like")
            row.append(f"{like} ({r['campaign_distance']:.2f})" if like else "-")
        t.add_row(*row)
    return t


def summary(result: ScoreResult, top: int, reasons: int, psi_warn: float) -> Group:
    """Reconciliation, top flags, rings and a drift line."""
    over = result.drift[result.drift > psi_warn]
    drift = (
        Text(
            f"drift: {len(over)} feature(s) with PSI > {psi_warn}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in over.head(5).items()),
            style="yellow",
        )
        if len(over)
        else Text(f"drift: no feature with PSI > {psi_warn} ({len(result.drift)} checked)")
    )
    return Group(
        reconciliation_text(result),
        flags_table(result, top, reasons),
        rings_table(result, top),
        drift,
    )
