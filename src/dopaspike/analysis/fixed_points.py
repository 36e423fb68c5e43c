"""Fixed points of the two-afc rate learner's mean-field learning dynamics, and where trajectories linger.

The rate learner (:mod:`dopaspike.models.two_afc_rate`) changes its weights by a noisy step every
trial; averaged over the stimuli and the choices, the step is a deterministic vector field
``F(theta)`` over its parameters (:meth:`~dopaspike.models.two_afc_rate.RateCohort.mean_field`).
Its fixed points, ``F = 0``, are the states learning can rest at or pass slowly by: in deep
networks trained by gradient descent, plateaus of learning are the passage near saddle points
(Saxe, McClelland & Ganguli 2014, arXiv:1312.6120; Liebana et al. 2025, Cell 188:3789, who explain
mice's strategy plateaus by the fixed points of their model).

:func:`find_fixed_points` solves ``F = 0`` from given starting states (e.g. an individual's states at
the end of each session: where it actually went) with :func:`scipy.optimize.root` (Powell's hybrid
method, small first steps), keeps the solutions whose residual is below ``tol``, merges duplicates,
and classifies each by the eigenvalues of the Jacobian of ``F`` (central differences): *stable*
(every real part < 0), *saddle* (some > 0, some < 0), *unstable* (all > 0). Real parts within
``eig_tol`` of 0 count as neither (flat directions: e.g. units that no stimulus drives). Each fixed point is also labelled by
the strategy its policy implements (its mean accuracy on each side, labelled by
:func:`dopaspike.analysis.strategy.label_session`).

:func:`speed` is ``|F|`` in units of the learning rate: how fast learning moves at a state;
it and :func:`relative_distance` read the learned coordinates only (:func:`learned`: not the
habit's choice history, which follows the last choices at its own, faster rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from ..models.two_afc_rate import RateCohort
from .strategy import label_session

#: Eigenvalues (of the Jacobian of ``F / learning_rate``) with real parts within this of 0 count as
#: flat: at most central-difference noise.
EIG_TOL = 1e-7
#: Bound on the first step of the root finder (MINPACK's ``factor``, default 100): small, so that a
#: Newton step does not throw the state into the saturated region where the flow is flat (there a
#: solver stalls without a root, e.g. the shallow learner's expert point with a weak side).
HYBR_STEP_FACTOR = 0.1


@dataclass(frozen=True)
class FixedPoint:
    """A solution of ``F(theta) = 0``: the state, its residual, its stability and its strategy."""

    theta: np.ndarray
    residual: float  # |F(theta)| / learning_rate
    kind: str  # "stable", "saddle", "unstable" or "flat"
    eigenvalues: np.ndarray  # of the Jacobian of F / learning_rate, sorted by real part, descending
    accuracy_left: float
    accuracy_right: float
    label: str  # "both", "left_only", "right_only" or "other" (dopaspike.analysis.strategy.label_session)

    @property
    def n_unstable(self) -> int:
        """Directions along which the state moves away (eigenvalues with real part > :data:`EIG_TOL`)."""
        return int(np.sum(self.eigenvalues.real > EIG_TOL))


def _one(template: RateCohort, theta: np.ndarray) -> RateCohort:
    c = template.individual(0)
    c.set_params(0, theta)
    return c


def velocity(template: RateCohort, theta: np.ndarray, levels) -> np.ndarray:
    """``F(theta)``: the expected parameter change per trial of ``template``'s first individual (its
    configuration and dopamine gains) at parameters ``theta``."""
    return _one(template, theta).mean_field(np.asarray(levels, float))[0]


def learned(template: RateCohort, theta: np.ndarray) -> np.ndarray:
    """The coordinates of ``theta`` (or of a flow at it) that learning moves: all but the choice
    history ``H``, the last coordinate when the habit acts
    (:meth:`~dopaspike.models.two_afc_rate.RateCohort.params`). ``H`` is not learned at
    ``learning_rate``: it follows the last few dozen choices at ``habit_rate``. At the end of a
    session it sits wherever those choices left it, so its flow and its distance from a fixed
    point's value measure the session's last trials, not where learning is."""
    theta = np.asarray(theta, float)
    return theta[..., :-1] if template.config.habit_weight else theta


def speed(template: RateCohort, theta: np.ndarray, levels) -> float:
    """``|F(theta)|`` over the learned coordinates (:func:`learned`: without the choice history),
    divided by the learning rate."""
    return float(np.linalg.norm(learned(template, velocity(template, theta, levels))) / template.config.learning_rate)


def relative_distance(template: RateCohort, points: list[FixedPoint], theta: np.ndarray) -> float:
    """Distance from ``theta`` to the nearest of ``points`` over the learned coordinates
    (:func:`learned`), relative to ``theta``'s norm over them (inf without points)."""
    x = learned(template, theta)
    d = min((float(np.linalg.norm(x - learned(template, f.theta))) for f in points), default=np.inf)
    return d / max(float(np.linalg.norm(x)), 1e-12)


def accuracies(template: RateCohort, theta: np.ndarray, levels) -> tuple[float, float]:
    """Mean P(correct) on left-grating and on right-grating trials of the policy at ``theta``."""
    one = _one(template, theta)
    levels = np.asarray(levels, float)
    left = [1.0 - one.p_right(np.array([s]))[0] for s in levels if s < 0]
    right = [one.p_right(np.array([s]))[0] for s in levels if s > 0]
    return float(np.mean(left)), float(np.mean(right))


def jacobian(template: RateCohort, theta: np.ndarray, levels, h: float = 1e-5) -> np.ndarray:
    """Jacobian of ``F / learning_rate`` at ``theta`` by central differences."""
    lr = template.config.learning_rate
    n = theta.size
    J = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h * max(1.0, abs(theta[j]))
        J[:, j] = (velocity(template, theta + e, levels) - velocity(template, theta - e, levels)) / (2 * e[j] * lr)
    return J


def classify(eigenvalues: np.ndarray, eig_tol: float) -> str:
    re = np.asarray(eigenvalues).real
    pos, neg = np.any(re > eig_tol), np.any(re < -eig_tol)
    if pos and neg:
        return "saddle"
    if pos:
        return "unstable"
    if neg and np.all(re < -eig_tol):
        return "stable"
    return "flat"


def find_fixed_points(template: RateCohort, starts: np.ndarray, levels, *, tol: float = 1e-6, eig_tol: float = EIG_TOL,
                      merge_tol: float = 1e-2) -> list[FixedPoint]:
    """Fixed points of ``template``'s first individual's mean-field dynamics reached from ``starts``
    (an array of parameter vectors, one per row); see the module docstring. Sorted by label, then
    by the number of unstable directions."""
    lr = template.config.learning_rate
    starts = np.atleast_2d(np.asarray(starts, float))
    found: list[FixedPoint] = []
    for x0 in starts:
        sol = optimize.root(lambda th: velocity(template, th, levels) / lr, x0, method="hybr",
                            options={"factor": HYBR_STEP_FACTOR})
        theta = sol.x
        res = float(np.linalg.norm(velocity(template, theta, levels)) / lr)
        if not np.all(np.isfinite(theta)) or res > tol:
            continue
        if any(np.linalg.norm(theta - f.theta) <= merge_tol * max(1.0, np.linalg.norm(f.theta)) for f in found):
            continue
        eig = np.linalg.eigvals(jacobian(template, theta, levels))
        eig = eig[np.argsort(-eig.real)]
        acc_l, acc_r = accuracies(template, theta, levels)
        found.append(FixedPoint(theta, res, classify(eig, eig_tol), eig, acc_l, acc_r, label_session(acc_l, acc_r)))
    return sorted(found, key=lambda f: (f.label, f.n_unstable))


@dataclass(frozen=True)
class SlowPoint:
    """A local minimum of the speed ``|F| / learning_rate`` reached from a state (Sussillo & Barak
    2013, Neural Comput 25:626: slow points, fixed or not, organise the flow near them)."""

    theta: np.ndarray
    speed: float  # at the slow point
    start_speed: float  # at the state it was reached from
    relative_distance: float  # |theta - start| / |start|
    accuracy_left: float
    accuracy_right: float
    label: str


def find_slow_point(template: RateCohort, start: np.ndarray, levels, *, max_iter: int = 300) -> SlowPoint:
    """Minimise ``q = |F|^2 / 2`` (in units of the learning rate) from ``start`` (L-BFGS, numerical
    gradient) and describe where it ends."""
    lr = template.config.learning_rate
    start = np.asarray(start, float)

    def q(th):
        f = velocity(template, th, levels) / lr
        return 0.5 * float(f @ f)

    sol = optimize.minimize(q, start, method="L-BFGS-B", options={"maxiter": max_iter})
    acc_l, acc_r = accuracies(template, sol.x, levels)
    return SlowPoint(sol.x, speed(template, sol.x, levels), speed(template, start, levels),
                     float(np.linalg.norm(sol.x - start) / max(np.linalg.norm(start), 1e-12)), acc_l, acc_r,
                     label_session(acc_l, acc_r))


def association_flow(template: RateCohort, theta: np.ndarray, levels, scales) -> dict[str, np.ndarray]:
    """The learning flow on a two-dimensional slice of parameter space, seen in the plane of the
    two associations: the states ``theta`` with its left-grating first-layer weights scaled by
    ``a`` and its right-grating ones by ``b`` (``a, b`` from ``scales``; shallow: the associations
    themselves), their associations ``(left, right)`` and the rate at which the mean-field
    dynamics move those (per trial, by a forward difference along ``F``). The other weights are
    ``theta``'s: a slice through one state, not the whole flow."""
    one = _one(template, theta)
    scales = np.asarray(scales, float)
    shape = (scales.size, scales.size)
    assoc, rate = np.zeros(shape + (2,)), np.zeros(shape + (2,))
    deep = template.config.depth == "deep"
    for i, a in enumerate(scales):
        for j, b in enumerate(scales):
            c = one.copy()
            if deep:
                c.W[0, :, 0] *= a
                c.W[0, :, 1] *= b
            else:
                c.A[0] *= (a, b)
            th = c.params(0)
            f = c.mean_field(np.asarray(levels, float))[0]
            step = 1.0 / max(np.linalg.norm(f), 1e-12) * 1e-4
            moved = c.copy()
            moved.set_params(0, th + step * f)
            assoc[i, j] = c.association()[0]
            rate[i, j] = (moved.association()[0] - assoc[i, j]) / step
    return {"left": assoc[..., 0], "right": assoc[..., 1], "rate_left": rate[..., 0], "rate_right": rate[..., 1]}
