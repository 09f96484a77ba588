"""Which historical campaign a ring is most like: its members' medians against campaign centroids.

The model's reference (``DistillGuardModel.reference``) may carry per-campaign feature centroids
learned from labelled history; a ring is named after the closest one, in units of the
legitimate accounts' spread, or after none when no campaign is close.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def _scale(ref: Mapping | None) -> float:
    """A robust spread of a feature among legitimate accounts: IQR, else bin-edge spread."""
    if not isinstance(ref, Mapping):
        return np.nan
    q25, q75 = ref.get("q25"), ref.get("q75")
    if q25 is not None and q75 is not None and q75 > q25:
        return float(q75 - q25)
    edges = ref.get("bin_edges", ref.get("edges"))
    if edges is not None and len(edges) >= 2:
        e = np.asarray(edges, dtype=float)
        if e.max() > e.min():
            return float(e.max() - e.min()) / 2
    return np.nan


def campaign_centroids(reference: Mapping | None) -> Mapping[str, Mapping[str, float]] | None:
    """Per-campaign feature centroids from the model's reference, if it carries them."""
    if not isinstance(reference, Mapping):
        return None
    for key in ("campaign_centroids", "campaigns", "centroids"):
        c = reference.get(key)
        if isinstance(c, Mapping) and c:
            return c
    return None


def most_like_campaign(
    rings: pd.DataFrame,
    features: pd.DataFrame,
    assignment: pd.DataFrame,
    centroids: Mapping[str, Mapping[str, float]],
    feature_refs: Mapping[str, Mapping],
    *,
    z_clip: float,
    max_distance: float,
) -> pd.DataFrame:
    """Add ``campaign_like`` and ``campaign_distance`` to the ring table.

    The distance from a ring to a campaign is the mean over numeric features of
    |ring median - campaign centroid| / (legitimate IQR), each term clipped at `z_clip` so no
    single feature decides; the closest campaign is named when its distance is at most
    `max_distance`, else ``campaign_like`` is None (the ring resembles no known campaign).
    """
    names = list(centroids)
    cols = sorted(
        {f for c in centroids.values() for f in c}
        & {f for f in features.columns if pd.api.types.is_numeric_dtype(features[f])}
    )
    scale = np.array([_scale(feature_refs.get(f)) for f in cols])
    ok = np.isfinite(scale) & (scale > 0)
    cols, scale = [c for c, k in zip(cols, ok, strict=True) if k], scale[ok]
    cent = np.array(
        [
            [np.nan if centroids[n].get(f) is None else float(centroids[n][f]) for f in cols]
            for n in names
        ]
    )
    feats = features.set_index("account_id")[cols].astype(float)
    like, dist = [], []
    for rid in rings["ring_id"]:
        members = assignment.loc[assignment["ring_id"] == rid, "account_id"]
        med = feats.loc[members].median().to_numpy()
        z = np.clip(np.abs(med[None, :] - cent) / scale[None, :], 0, z_clip)
        d = np.nanmean(np.where(np.isfinite(z), z, np.nan), axis=1) if cols else np.array([])
        if d.size and np.isfinite(d).any():
            i = int(np.nanargmin(d))
            like.append(names[i] if d[i] <= max_distance else None)
            dist.append(float(d[i]))
        else:
            like.append(None)
            dist.append(np.nan)
    return rings.assign(campaign_like=like, campaign_distance=dist)
