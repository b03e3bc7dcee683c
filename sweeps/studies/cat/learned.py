"""(c) The learned specialist: a gradient bandit over a menu of fees.

The learned specialist runs JCAT's CDA (continuous clearing, quote beating,
discriminatory k = 0.5); each day it announces one option of a discrete fee
menu (every combination of a few levels of each fee), drawn from a softmax
policy. The policy's logits are trained by the gradient bandit (Sutton and
Barto, Section 2.8; REINFORCE with a baseline): each iteration plays a batch
of games vmapped (and split over the devices, runs.py) with options drawn
afresh, then moves the logits along

    grad[row, m] = mean over games and days of A[n, d] (1{a[n, d] = m} - pi[row, m])

with Adam. The batch is made of groups of `group` games that share their
key (the same traders' values and draws: common random numbers) and differ
only in the learner's options; A is a reward minus its group's mean, which
removes most of the noise the traders' draws put in a comparison of options.

Two readings of "maximising its daily score" (`credit`):
- "return" (default): the reward of day d is the score summed from d to the
  game's end: the policy gradient of the game's total score (the competition
  ranks specialists by their scores summed over the assessment days). Today's
  fees cannot move today's market share (traders choose their market before
  they learn what it charges, from past profits), so this is the reading in
  which a fee is charged for the traders it drives away;
- "day": the day's own score: a myopic bandit, each choice judged by that day
  alone; it learns to maximise today's profit share.
`schedule`: "constant" one distribution for every day, "daily" one per day
(a fee schedule over the game).

A policy is not conditioned on the state (what it may see of its rivals is
yesterday's fees, which its rivals' fixed policies make predictable anyway),
so a game's options are drawn before it is played and enter the game as the
seat's announced fees (`jaxmarkets.cat.game.simulate(seat, seat_fees)`).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from typing import Callable, NamedTuple

import numpy as np

from jaxmarkets.core import InputError, check_choice, check_int, check_range

CREDIT = ("day", "return")
SCHEDULE = ("constant", "daily")
FEE_NAMES = ("registration", "information", "shout", "transaction", "profit")


@dataclasses.dataclass(frozen=True)
class BanditConfig:
    iterations: int = 40
    games: int = 256  # games per iteration (options drawn afresh in each)
    group: int = 8  # games sharing one key (common random numbers); divides games
    lr: float = 0.2  # Adam's step on the logits
    credit: str = "return"
    schedule: str = "constant"
    seed: int = 0

    def validate(self) -> None:
        check_int("iterations", self.iterations, 1)
        check_int("games", self.games, 2)
        check_int("group", self.group, 2, self.games)
        if self.games % self.group:
            raise InputError(f"games = {self.games} must be a multiple of group = {self.group}")
        check_range("lr", self.lr, 0.0, 100.0, low_open=True)
        check_choice("credit", self.credit, CREDIT)
        check_choice("schedule", self.schedule, SCHEDULE)


def fee_menu(levels: dict[str, tuple[float, ...]]) -> np.ndarray:
    """[M, 5] every combination of the given levels (fees not named are 0)."""
    for name, values in levels.items():
        check_choice("menu fee", name, FEE_NAMES)
        if not values:
            raise InputError(f"menu.{name} has no levels; allowed range [1, inf) levels")
        for v in values:
            check_range(f"menu.{name}", v, 0.0, 1.0 if name == "profit" else 1e6)
    axes = [tuple(levels.get(f, (0.0,))) for f in FEE_NAMES]
    return np.asarray(list(itertools.product(*axes)), np.float32)


def option_label(fees) -> str:
    parts = [f"{n[:4]} {v:g}" for n, v in zip(FEE_NAMES, fees) if v]
    return ", ".join(parts) if parts else "free"


def probabilities(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def rows_of_days(days: int, schedule: str) -> np.ndarray:
    """[days] the policy row each day uses."""
    return np.arange(days) if schedule == "daily" else np.zeros(days, int)


def sample(rng: np.random.Generator, logits: np.ndarray, games: int, days: int, schedule: str) -> np.ndarray:
    """[games, days] option indices drawn from the day's row of the policy."""
    p = probabilities(logits)[rows_of_days(days, schedule)]  # [days, M]
    cdf = np.cumsum(p, -1)
    u = rng.random((games, days, 1))
    return np.minimum((u > cdf[None]).sum(-1), p.shape[-1] - 1)


def advantages(rewards: np.ndarray, credit: str, group: int) -> np.ndarray:
    """[games, days]: the credited reward minus its mean over the game's group
    (consecutive runs of `group` games share a key)."""
    credited = rewards if credit == "day" else np.cumsum(rewards[:, ::-1], 1)[:, ::-1]
    grouped = credited.reshape(-1, group, credited.shape[1])
    return (grouped - grouped.mean(1, keepdims=True)).reshape(credited.shape)


def gradient(logits: np.ndarray, options: np.ndarray, adv: np.ndarray, schedule: str) -> np.ndarray:
    """The ascent direction of the expected credited reward, shaped like logits."""
    n, days = options.shape
    m = logits.shape[-1]
    p = probabilities(logits)
    rows = rows_of_days(days, schedule)
    onehot = np.eye(m)[options]  # [n, days, M]
    per_day = (adv[..., None] * (onehot - p[rows][None])).mean(0)  # [days, M]
    grad = np.zeros_like(logits)
    np.add.at(grad, rows, per_day)
    counts = np.bincount(rows, minlength=logits.shape[0])[:, None]
    return grad / np.maximum(counts, 1)


class Adam:
    """Adam ascent on a small array (the logits); plain NumPy, run on the host
    between the batches of games."""

    def __init__(self, shape, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m, self.v, self.t = np.zeros(shape), np.zeros(shape), 0

    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad**2
        m_hat = self.m / (1 - self.b1**self.t)
        v_hat = self.v / (1 - self.b2**self.t)
        return x + self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class Trained(NamedTuple):
    logits: np.ndarray  # [rows, M]
    history: list  # per iteration: mean daily score of the seat, policy probabilities
    seconds: float


# play(seat_fees [games, days, 5], seed, group) -> the seat's daily scores [games, days],
# consecutive runs of `group` games played with one key
Play = Callable[[np.ndarray, int], np.ndarray]


def train(play: Play, menu: np.ndarray, days: int, cfg: BanditConfig, log=print) -> Trained:
    cfg.validate()
    rng = np.random.default_rng(cfg.seed)
    rows = days if cfg.schedule == "daily" else 1
    logits = np.zeros((rows, menu.shape[0]))
    opt = Adam(logits.shape, cfg.lr)
    history = []
    t0 = time.perf_counter()
    for it in range(cfg.iterations):
        options = sample(rng, logits, cfg.games, days, cfg.schedule)
        scores = play(menu[options], cfg.seed * 100_003 + it, cfg.group)
        adv = advantages(scores, cfg.credit, cfg.group)
        logits = opt.step(logits, gradient(logits, options, adv, cfg.schedule))
        history.append({"iteration": it, "score": float(scores.mean()),
                        "probabilities": probabilities(logits).mean(0).tolist()})
        if it % 10 == 0 or it == cfg.iterations - 1:
            p = probabilities(logits).mean(0)
            log(f"    iteration {it}: mean daily score {scores.mean():.3f}, top option "
                f"{option_label(menu[p.argmax()])} (p {p.max():.2f})")
    return Trained(logits, history, time.perf_counter() - t0)


def greedy_fees(logits: np.ndarray, menu: np.ndarray, days: int, schedule: str) -> np.ndarray:
    """[days, 5] the most probable option of each day's row."""
    return menu[probabilities(logits).argmax(-1)[rows_of_days(days, schedule)]]
