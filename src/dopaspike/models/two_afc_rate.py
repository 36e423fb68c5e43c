"""Rate version of the two-afc learner: a deep network taught by heterogeneous dopamine signals.

Liebana S, ..., Saxe A, Lak A (2025) Dopamine encodes deep network teaching signals for individual
learning trajectories. Cell 188:3789-3805. Their model: a network with a hidden layer, trained by
gradient descent on reward, whose teaching signals are heterogeneous (dopamine subpopulations each
update a subset of the association weights); dorsolateral-striatum dopamine behaved as a partial,
stimulus-based reward prediction error that drives learning only for the stimuli used in the
decision. Deep networks trained by gradient descent learn in stages separated by plateaus near
saddle points (Saxe, McClelland & Ganguli 2014, ICLR, arXiv:1312.6120); shallow ones do not.

This module holds a vectorised cohort of such learners (one row per individual). The list below
describes the general network and its options. The defaults pick one of them: lateral pathways of
linear units (``lateral_hidden``, ``hidden_activation = "linear"``: the deep linear network),
small initial weights, the value rule, a habit of 1.5, no side bias, and balanced gains
(``gain_spread``); docs/experiments/two-afc.md has the measurements that chose them.

* input ``x = contrast_gain * (c_left, c_right)`` (the two gratings' contrasts);
* hidden layer ``h = relu(W x)`` (or ``W x``: ``hidden_activation``) of ``n_hidden`` units, every
  unit receiving *both* stimuli (unless ``lateral_hidden``) through positive, overlapping initial
  weights (``input_weight`` with a relative spread of ``input_weight_cv``): a shared, visually
  driven representation, as in striatal neurons that respond to either grating;
* choice: ``P(right) = sigmoid(b + v . h)``, ``v`` small at the start (``output_weight_sd``), ``b``
  the individual's initial side bias (``bias_sd``);
* teaching: on a trial showing the grating on side ``s``, the dopamine subpopulation of that side
  carries ``g_s * (r - V) * (a - p)`` (reward ``r``, learned expected reward ``V``, choice ``a``,
  ``p = P(right)``: the reward prediction error times the policy's score, Williams 1992, Mach
  Learn 8:229). It teaches the first-layer weights of its own stimulus (through the back-propagated
  factor ``v``, which is what makes the signal *partial*: a stimulus that drives no choice is not
  learned from) and the hidden-to-choice weights used on the trial. On zero-contrast trials both
  subpopulations carry it, with the mean gain. ``teaching = "heterogeneous"`` draws each
  individual's two gains ``g_left, g_right`` from a log-normal distribution (``gain_sd``), each
  side on its own or, with ``gain_spread = "balanced"``, as one log ratio around a geometric
  mean of 1 (:func:`draw_gains`);
  ``"uniform"`` gives every subpopulation of every individual gain 1 (one, homogeneous teaching
  signal);
* ``teaching_rule = "value"`` replaces ``r - V`` by the network's own prediction error: the
  reward predicted for the choice made, ``Q(a) = 1/2 + s_a z / (2 value_logit)`` (``z`` the choice
  logit without the habit below, ``s_a`` +1 for right and -1 for left), read from the same associations that choose, so
  the dopamine is ``g_s (r - Q(a))``, and the weights move along ``s_a`` times the logit's gradient
  (the gradient of ``Q(a)``, up to the constant ``2 value_logit``): a stimulus-based prediction
  error, as dorsolateral-striatum dopamine behaved in Liebana et al. (2025), learned by the delta
  rule (Rescorla & Wagner 1972). In expectation it regresses the logit on ``value_logit *
  sign(c)`` whatever the choices, so the learned state is finite without weight decay, where the
  policy rule's teaching ``p (1 - p)`` fades only as the logit diverges;
* ``lateral_hidden``: each hidden unit receives one grating only (the first half of the units the
  left, the rest the right), and the absent connections stay absent; with ``hidden_activation =
  "linear"`` each side's association is the product of its own two layers of weights, the deep
  linear network of Saxe et al. (2014), in which a silent pathway (all its weights 0) is a saddle's
  unstable direction;
* ``habit_weight``: a choice history ``H``, the running mean of the choices (+1 right, -1 left,
  tracked at ``habit_rate`` per trial whatever the outcome), adds ``habit_weight * H`` to the
  choice logit: a habit, or choice kernel, learned from choices and not from reward, beside the
  associations (Miller, Shenhav & Ludvig 2019, Psychol Rev 126:292, "Habits without values";
  Wilson & Collins 2019, eLife 8:e49547, model 5). The value rule's ``Q(a)`` and
  :meth:`RateCohort.association` read the associations alone. While one side is learned its
  correct choices lean the history toward that side, so the other side's trials go to it more
  often than not (below chance), as the mice's unlearned side does. 1.5 by default (0 turns it off);
  above about 2 the history sustains a side bias by itself (``H = tanh(habit_weight H / 2)`` has
  nonzero solutions), in any network;
* ``depth = "shallow"``: no hidden layer, ``P(right) = sigmoid(b + A_right x_right - A_left
  x_left)`` with the same teaching signals (the control without saddles);
* optogenetics: ``opto(side, amount)`` adds ``amount * (a - p)`` to that side's subpopulation alone
  at the time of the choice (stimulating dopamine neurons at choice reinforces the choice made,
  Liebana et al. 2025), whatever the reward (value rule: ``amount * s_a``, the same extra
  dopamine times that rule's factor).

Every update is ``lr * (teaching * gradient of the choice logit - weight_decay * weight)``; under
the policy rule the weight decay keeps the expert state a finite fixed point of the mean-field dynamics
(:mod:`dopaspike.analysis.fixed_points`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special


class RateParameters(BaseModel):
    """The rate network's parameters, apart from its depth and kind of teaching."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    gain_sd: float = Field(1.3, ge=0, le=3, description="SD of the log of each side's dopamine gain (heterogeneous teaching)")
    gain_spread: Literal["independent", "balanced"] = Field(
        "balanced", description="independent: each side's gain drawn alone; balanced: the same log ratio, geometric mean 1")
    n_hidden: int = Field(8, ge=1, le=256, description="hidden units")
    contrast_gain: float = Field(2.0, gt=0, le=100, description="input per unit contrast")
    input_weight: float = Field(0.02, ge=0, le=10, description="mean initial stimulus-to-hidden weight")
    input_weight_cv: float = Field(0.3, ge=0, le=3, description="relative SD of the initial stimulus-to-hidden weights")
    output_weight_sd: float = Field(0.02, ge=0, le=10, description="SD of the initial hidden-to-choice weights")
    bias_sd: float = Field(0.0, ge=0, le=10, description="SD of the initial side bias (logit) across individuals")
    learning_rate: float = Field(0.02, gt=0, le=10, description="learning rate of the association weights, per trial")
    bias_learning_rate: float = Field(0.0, ge=0, le=10, description="learning rate of the side bias, per trial")
    value_rate: float = Field(0.05, gt=0, le=1, description="rate at which the expected reward V tracks the reward")
    weight_decay: float = Field(0.01, ge=0, le=1, description="decay of every weight, per unit learning rate")
    lateral_hidden: bool = Field(True, description="each hidden unit receives one grating only (half of them each side)")
    hidden_activation: Literal["relu", "linear"] = Field("linear", description="the hidden units' transfer function")
    teaching_rule: Literal["policy", "value"] = Field(
        "value", description="policy: (r - V)(a - p), V a running mean; value: r - Q(a), Q the network's own prediction")
    value_logit: float = Field(3.0, gt=0, le=20, description="value rule: the choice logit at which Q(correct) = 1")
    habit_weight: float = Field(1.5, ge=0, le=20, description="choice logit added per unit of choice history (0: no habit)")
    habit_rate: float = Field(0.05, gt=0, le=1, description="rate at which the choice history tracks the choices, per trial")

    @model_validator(mode="after")
    def _lateral_needs_two_units(self):
        if self.lateral_hidden and self.n_hidden < 2:
            raise ValueError(f"n_hidden={self.n_hidden}: lateral_hidden needs n_hidden >= 2 (half of the units per side)")
        return self


class RateLearnerConfig(RateParameters):
    """The rate network and its teaching signals (see the module docstring)."""

    depth: Literal["deep", "shallow"] = Field("deep", description="deep: a hidden layer; shallow: stimulus-to-choice weights")
    teaching: Literal["heterogeneous", "uniform"] = Field(
        "heterogeneous", description="heterogeneous: each side's dopamine gain drawn per individual; uniform: all gains 1")


def draw_gains(rng: np.random.Generator, gain_sd: float, spread: str) -> np.ndarray:
    """One individual's (left, right) dopamine gains. Both draw two normals ``z`` of SD ``gain_sd``.
    ``"independent"``: ``exp(z)``, each side's gain log-normal on its own. ``"balanced"``: the
    same log ratio ``x = z_right - z_left``, shared out as ``exp(-x/2), exp(x/2)``: the geometric
    mean is 1 in every individual, so individuals differ in how the teaching is divided between
    the sides, not in how much there is, and the uniform control (gains 1) has the same mean."""
    z = rng.normal(0.0, gain_sd, 2)
    if spread == "independent":
        return np.exp(z)
    if spread == "balanced":
        half = 0.5 * (z[1] - z[0])
        return np.exp(np.array([-half, half]))
    raise ValueError(f"gain_spread={spread!r}: allowed 'independent' or 'balanced'")


def input_mask(config: RateParameters) -> np.ndarray:
    """(n_hidden, 2) 1 where a stimulus-to-hidden connection exists: everywhere, or with
    ``lateral_hidden`` the left grating onto the first half of the units and the right onto the rest."""
    m = np.ones((config.n_hidden, 2))
    if config.lateral_hidden:
        half = config.n_hidden // 2
        m[:half, 1] = 0.0
        m[half:, 0] = 0.0
    return m


@dataclass
class RateCohort:
    """The state of ``n`` learners (arrays with one row per individual); picklable."""

    config: RateLearnerConfig
    W: np.ndarray  # (n, n_hidden, 2) stimulus -> hidden, columns (left, right)
    v: np.ndarray  # (n, n_hidden) hidden -> choice logit
    A: np.ndarray  # (n, 2) shallow: association of (left, right), positive = correct
    b: np.ndarray  # (n,) side bias (logit of right)
    V: np.ndarray  # (n,) expected reward
    gains: np.ndarray  # (n, 2) dopamine gain of the (left, right) subpopulation
    H: np.ndarray  # (n,) choice history, a running mean of the choices (+1 right, -1 left)

    @classmethod
    def create(cls, config: RateLearnerConfig, rngs: list[np.random.Generator]) -> RateCohort:
        """One learner per generator, each drawing its own initial weights, bias and gains."""
        c = config
        W, v, A, b, gains = [], [], [], [], []
        for g in rngs:
            W.append(c.input_weight * (1.0 + c.input_weight_cv * g.standard_normal((c.n_hidden, 2))))
            v.append(g.normal(0.0, c.output_weight_sd, c.n_hidden))
            A.append(g.normal(0.0, c.output_weight_sd, 2))
            b.append(g.normal(0.0, c.bias_sd))
            gl = draw_gains(g, c.gain_sd, c.gain_spread)
            gains.append(gl if c.teaching == "heterogeneous" else np.ones(2))
        n = len(rngs)
        W = np.array(W).reshape(n, c.n_hidden, 2) * input_mask(c)  # all ones unless lateral_hidden
        return cls(c, W, np.array(v).reshape(n, c.n_hidden), np.array(A).reshape(n, 2),
                   np.array(b, float), np.full(n, 0.5), np.array(gains).reshape(n, 2), np.zeros(n))

    @property
    def n(self) -> int:
        return self.b.size

    def inputs(self, signed_contrast: np.ndarray) -> np.ndarray:
        """(n, 2) input ``contrast_gain * (c_left, c_right)``."""
        s = np.asarray(signed_contrast, float)
        return self.config.contrast_gain * np.stack([np.maximum(-s, 0.0), np.maximum(s, 0.0)], axis=-1)

    def logit(self, signed_contrast: np.ndarray) -> np.ndarray:
        """Choice logit (of right) of each individual for its trial's signed contrast: the
        associations' logit (:meth:`association_logit`) plus ``habit_weight`` times the choice history."""
        return self._with_habit(self.association_logit(signed_contrast))

    def _with_habit(self, z: np.ndarray) -> np.ndarray:
        """The choice logit from the associations' logit ``z``: plus ``habit_weight * H``."""
        return z + self.config.habit_weight * self.H if self.config.habit_weight else z

    def association_logit(self, signed_contrast: np.ndarray) -> np.ndarray:
        """The associations' part of the choice logit: the bias and the stimulus pathways, without
        the habit. The value rule's prediction ``Q(a)`` is read from it."""
        x = self.inputs(signed_contrast)
        if self.config.depth == "shallow":
            return self.b + self.A[:, 1] * x[:, 1] - self.A[:, 0] * x[:, 0]
        h = self._activation(np.einsum("nhk,nk->nh", self.W, x))
        return self.b + np.einsum("nh,nh->n", self.v, h)

    def _activation(self, pre: np.ndarray) -> np.ndarray:
        return pre if self.config.hidden_activation == "linear" else np.maximum(pre, 0.0)

    def p_right(self, signed_contrast: np.ndarray) -> np.ndarray:
        return special.expit(self.logit(signed_contrast))

    def predicted_reward(self, signed_contrast: np.ndarray, choice_right: np.ndarray) -> np.ndarray:
        """Value rule: the reward the network predicts for the choice made, ``Q(a) = 1/2 + s_a z / (2
        value_logit)`` (``z`` the associations' logit, :meth:`association_logit`, which is the choice
        logit without the habit; ``s_a`` +1 for right, -1 for left): 1 for a choice the network
        favours with logit ``value_logit``."""
        return self._q(self.association_logit(signed_contrast), np.asarray(choice_right, float))

    def _q(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """``Q(a)`` from the logit ``z`` and the choice ``a`` (1 = right)."""
        return 0.5 + (2.0 * a - 1.0) * z / (2.0 * self.config.value_logit)

    def teaching_gain(self, signed_contrast: np.ndarray) -> np.ndarray:
        """(n, 2) how much of the trial's teaching signal each subpopulation carries: the shown
        side's gain on that side, both gains halved on zero-contrast trials."""
        s = np.asarray(signed_contrast, float)
        out = np.zeros((self.n, 2))
        out[:, 0] = np.where(s < 0, self.gains[:, 0], np.where(s == 0, 0.5 * self.gains[:, 0], 0.0))
        out[:, 1] = np.where(s > 0, self.gains[:, 1], np.where(s == 0, 0.5 * self.gains[:, 1], 0.0))
        return out

    def learn(self, signed_contrast: np.ndarray, choice_right: np.ndarray, reward: np.ndarray,
              opto: np.ndarray | None = None, *, from_reward: bool = True) -> np.ndarray:
        """Update every individual after its trial; returns the reward prediction error ``r - V``.

        ``opto``: (n, 2) extra dopamine of the (left, right) subpopulation at the choice (0: none).
        ``from_reward=False``: the outcome teaches nothing (and ``V`` stays): only ``opto`` and the
        weight decay change the weights (an optogenetic probe without reward).
        """
        c = self.config
        x = self.inputs(signed_contrast)
        a = np.asarray(choice_right, float)
        z = self.association_logit(signed_contrast)  # once: both the policy and the value rule read it
        p = special.expit(self._with_habit(z))
        r = np.asarray(reward, float)
        if c.teaching_rule == "value":
            rpe = r - self._q(z, a)
        else:
            rpe = r - self.V
        if from_reward:
            self.V += c.value_rate * (r - self.V)
        da = self.teaching_gain(signed_contrast) * (rpe if from_reward else np.zeros_like(rpe))[:, None]
        if opto is not None:
            da = da + np.asarray(opto, float)
        # policy: d log P(choice) / d logit; value: d Q(choice) / d logit, times 2 value_logit
        score = ((a - p) if c.teaching_rule == "policy" else 2.0 * a - 1.0)[:, None]
        dW, dv, dA, db = self.increments(x, da * score)
        lr, lam = c.learning_rate, c.weight_decay
        self.W += lr * (dW - lam * self.W)
        self.v += lr * (dv - lam * self.v)
        self.A += lr * (dA - lam * self.A)
        self.b += c.bias_learning_rate * (db - lam * self.b)
        self.H += c.habit_rate * ((2.0 * a - 1.0) - self.H)  # whatever the outcome: a habit, not a value
        return rpe

    def increments(self, x: np.ndarray, teach: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Weight changes per unit learning rate (before decay) for inputs ``x`` (n, 2) and each
        subpopulation's teaching signal ``teach`` (n, 2): subpopulation ``s`` teaches the weights of
        stimulus ``s``; the hidden-to-choice weights and the bias get the sum of both.

        Returns ``(dW, dv, dA, db)``; the parts a network of this depth does not have are zero."""
        total = teach.sum(axis=1)
        dW, dv, dA = np.zeros_like(self.W), np.zeros_like(self.v), np.zeros_like(self.A)
        if self.config.depth == "shallow":
            dA = teach * x * np.array([-1.0, 1.0])  # d logit / d A = (-x_left, +x_right)
        else:
            pre = np.einsum("nhk,nk->nh", self.W, x)
            back = self.v if self.config.hidden_activation == "linear" else self.v * (pre > 0)  # d logit / d pre
            dW = back[:, :, None] * (teach * x)[:, None, :]
            if self.config.lateral_hidden:
                dW = dW * input_mask(self.config)
            dv = total[:, None] * self._activation(pre)
        return dW, dv, dA, total

    def association(self) -> np.ndarray:
        """(n, 2) each side's association: how much its grating at contrast 1 moves the logit toward the
        correct side, (left, right)."""
        left, right = self.association_logit(np.full(self.n, -1.0)), self.association_logit(np.full(self.n, 1.0))
        return np.stack([self.b - left, right - self.b], axis=1)

    def subset_weights(self) -> dict[str, np.ndarray]:
        """The weights each subpopulation teaches, per individual: ``left`` and ``right`` (the
        first-layer weights of each stimulus, or the shallow associations) and ``shared``
        (hidden-to-choice weights; empty for shallow)."""
        if self.config.depth == "shallow":
            return {"left": self.A[:, :1].copy(), "right": self.A[:, 1:].copy(), "shared": np.zeros((self.n, 0))}
        return {"left": self.W[:, :, 0].copy(), "right": self.W[:, :, 1].copy(), "shared": self.v.copy()}

    def copy(self) -> RateCohort:
        return RateCohort(self.config, self.W.copy(), self.v.copy(), self.A.copy(), self.b.copy(), self.V.copy(),
                          self.gains.copy(), self.H.copy())

    # -- flat parameters, for the fixed-point analysis -------------------------------------
    def params(self, k: int) -> np.ndarray:
        """Individual ``k``'s learned parameters as one vector: W, v (shallow: A), then the bias ``b``
        when it learns (``bias_learning_rate > 0``; otherwise it is a constant of the individual, not
        a coordinate of the learning dynamics), then the choice history ``H`` when the habit acts
        (``habit_weight > 0``)."""
        c = self.config
        tail = ([self.b[k]] if c.bias_learning_rate else []) + ([self.H[k]] if c.habit_weight else [])
        if c.depth == "shallow":
            return np.concatenate([self.A[k], tail])
        return np.concatenate([self.W[k][self._wmask()], self.v[k], tail])

    def _wmask(self) -> np.ndarray:
        """Which stimulus-to-hidden weights exist (all, unless ``lateral_hidden``)."""
        return input_mask(self.config) > 0

    def set_params(self, k: int, theta: np.ndarray) -> None:
        """Set individual ``k``'s learned parameters from a vector laid out as :meth:`params`."""
        c = self.config
        theta = np.asarray(theta, float)
        if c.habit_weight:
            self.H[k], theta = theta[-1], theta[:-1]
        if c.bias_learning_rate:
            self.b[k], theta = theta[-1], theta[:-1]
        if c.depth == "shallow":
            self.A[k] = theta[:2]
            return
        m = self._wmask()
        nw = int(m.sum())
        self.W[k][m] = theta[:nw]
        self.v[k] = theta[nw:nw + self.v.shape[1]]

    def individual(self, k: int) -> RateCohort:
        """A cohort of one: a copy of individual ``k``."""
        sl = slice(k, k + 1)
        return RateCohort(self.config, self.W[sl].copy(), self.v[sl].copy(), self.A[sl].copy(), self.b[sl].copy(),
                          self.V[sl].copy(), self.gains[sl].copy(), self.H[sl].copy())

    def mean_field(self, levels: np.ndarray) -> np.ndarray:
        """(n, P) expected change of :meth:`params` per trial, stimuli drawn uniformly from ``levels``.

        For a trial of signed contrast ``c != 0`` the expected teaching signal ``E[(r - V)(a - p)]`` is
        ``sign(c) p (1 - p)`` whatever ``V`` (E[a - p] = 0), and 0 on zero-contrast trials (reward
        independent of the choice); under the value rule ``E[(r - Q(a)) s_a]`` is ``(value_logit
        sign(c) - z) / (2 value_logit)`` on every trial, zero-contrast ones included (``z`` the
        associations' logit, whatever the habit). The expected change is that times the gradient,
        averaged over ``levels``, minus the weight decay; the choice history's is ``habit_rate
        (E[s_a] - H)``, ``E[s_a] = 2 p - 1`` averaged over ``levels``."""
        c = self.config
        levels = np.asarray(levels, float)
        dW, dv, dA, db = np.zeros_like(self.W), np.zeros_like(self.v), np.zeros_like(self.A), np.zeros_like(self.b)
        choice = np.zeros_like(self.H)  # E[s_a], which the choice history tracks
        for s in levels:
            sv = np.full(self.n, s)
            z = self.association_logit(sv)  # once per level: the prediction and the choice read it
            p = special.expit(self._with_habit(z))
            choice += 2.0 * p - 1.0
            if c.teaching_rule == "value":  # E[(r - Q(a)) s_a] = (value_logit sign(c) - z) / (2 value_logit), whatever p
                signal = (c.value_logit * np.sign(s) - z) / (2.0 * c.value_logit)
            else:
                signal = np.sign(s) * p * (1.0 - p)
            inc = self.increments(self.inputs(sv), self.teaching_gain(sv) * signal[:, None])
            dW, dv, dA, db = dW + inc[0], dv + inc[1], dA + inc[2], db + inc[3]
        m = levels.size
        lr, lam = c.learning_rate, c.weight_decay
        dW, dv, dA = lr * (dW / m - lam * self.W), lr * (dv / m - lam * self.v), lr * (dA / m - lam * self.A)
        db = c.bias_learning_rate * (db / m - lam * self.b)
        tail = ([db[:, None]] if c.bias_learning_rate else []) + (
            [(c.habit_rate * (choice / m - self.H))[:, None]] if c.habit_weight else [])
        if c.depth == "shallow":
            return np.concatenate([dA, *tail], axis=1)
        return np.concatenate([dW[:, self._wmask()], dv, *tail], axis=1)
