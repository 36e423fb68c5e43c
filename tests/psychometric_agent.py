"""Synthetic individuals for the strategy-analysis tests: trial tables drawn from the
psychometric model that dopaspike.analysis.strategy fits, with known parameters per session."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The task's signed contrasts (Liebana et al. 2025's initial set).
CONTRASTS = np.array([-0.5, -0.25, 0.0, 0.25, 0.5])


def agent(name: str, plan, *, trials: int = 400, seed: int = 0) -> pd.DataFrame:
    """A trial table of one synthetic individual: session k (1-based) draws ``trials`` signed
    contrasts uniformly from :data:`CONTRASTS` and choices from the psychometric model with
    ``plan[k - 1] = (bias, sensitivity_left, sensitivity_right)``."""
    gen = np.random.default_rng(seed)
    parts = []
    for k, (b, sl, sr) in enumerate(plan, start=1):
        s = gen.choice(CONTRASTS, trials)
        p = 1.0 / (1.0 + np.exp(-(b + sr * np.maximum(s, 0) - sl * np.maximum(-s, 0))))
        parts.append(pd.DataFrame({"individual": name, "session": k, "signed_contrast": s,
                                   "choice_right": (gen.random(trials) < p).astype(int)}))
    return pd.concat(parts, ignore_index=True)
