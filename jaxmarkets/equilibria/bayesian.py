"""Bayesian games as normal-form games over type-contingent strategies.

A Bayesian game has, per player p, T_p types and A_p actions, a common prior
prior[t_1, ..., t_n] over type profiles, and payoffs[p, t_1..t_n, a_1..a_n].
A pure strategy of p is a plan: one action per own type, T_p -> A_p, so p has
A_p ** T_p of them. The induced (ex-ante) normal form is

    U[p, s_1, ..., s_n] = sum_t prior[t] payoffs[p, t, s_1(t_1), ..., s_n(t_n)],

and its Nash equilibria are the Bayesian Nash equilibria (a type with prior
probability 0 may then play anything). Every solver of this package applies to
U; `behaviour_strategy` turns a mixed plan back into action probabilities per
type.

Plans are numbered with the first type's action varying slowest (the order of
`itertools.product`), and named "action|type" joined by commas in the player's
type order: with types (large, small) and actions (S, H), plan 1 is
"S|large,H|small" (sell when large, hold when small).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple, Sequence

import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError, _fmt, check_int
from jaxmarkets.equilibria.payoffs import _as_numbers, check_finite
from jaxmarkets.equilibria.tolerances import PROBABILITY_SUM


class InducedNormalForm(NamedTuple):
    payoffs: jnp.ndarray  # U[n, S_1, ..., S_n], the ex-ante payoffs of plans
    plans: tuple  # plans[p][s, t] = the action index plan s of player p takes at type t
    names: tuple  # names[p][s], e.g. "S|large,H|small"
    types: tuple  # types[p]: the type names of player p
    actions: tuple  # actions[p]: the action names of player p


def _names(field: str, given, counts: Sequence[int], prefix: str) -> tuple:
    if given is None:
        return tuple(tuple(f"{prefix}{i}" for i in range(k)) for k in counts)
    if len(given) != len(counts):
        raise InputError(f"{field} has {len(given)} entries; expected {len(counts)}, one per player")
    out = []
    for p, (names, k) in enumerate(zip(given, counts)):
        names = tuple(str(x) for x in names)
        if len(names) != k:
            raise InputError(f"{field}[{p}] has {len(names)} names; expected {k}, the size of "
                             f"player {p}'s axis in payoffs")
        if len(set(names)) != k or any(c in x for x in names for c in "|,") or "" in names:
            raise InputError(f"{field}[{p}] = {list(names)}: names must be distinct, non-empty "
                             "and free of '|' and ','")
        out.append(names)
    return tuple(out)


def induced_normal_form(payoffs, prior, *, types=None, actions=None) -> InducedNormalForm:
    """The normal form over plans of a Bayesian game (module docstring).

    payoffs: [n, T_1..T_n, A_1..A_n]; prior: [T_1..T_n], non-negative, sums to 1;
    types, actions: optional names per player (default "t0", "t1", ... and
    "a0", "a1", ...).
    """
    pay = _as_numbers("payoffs", payoffs)
    shape = tuple(np.shape(pay))
    n = shape[0] if shape else 0
    if len(shape) != 1 + 2 * n or n < 1 or 0 in shape:
        raise InputError(f"payoffs has shape {shape}; expected [n_players, T_1..T_n, A_1..A_n] "
                         "(types then actions, one axis per player each)")
    check_finite("payoffs", pay)
    T, A = shape[1 : 1 + n], shape[1 + n :]
    pr = _as_numbers("prior", prior)
    if tuple(np.shape(pr)) != T:
        raise InputError(f"prior has shape {tuple(np.shape(pr))}; expected {T}, the type axes "
                         "of payoffs")
    check_finite("prior", pr)
    pr64 = np.asarray(pr, np.float64)
    if pr64.min() < 0:
        raise InputError(f"prior = {_fmt(pr64)} has a negative entry; probabilities must lie in [0, 1]")
    if abs(pr64.sum() - 1) > PROBABILITY_SUM:
        raise InputError(f"prior = {_fmt(pr64)} sums to {pr64.sum():.10g}; expected 1 "
                         f"(within {PROBABILITY_SUM:g})")
    type_names = _names("types", types, T, "t")
    action_names = _names("actions", actions, A, "a")

    plans = tuple(np.array(list(itertools.product(range(a), repeat=t)), np.int32).reshape(-1, t)
                  for a, t in zip(A, T))
    names = tuple(tuple(",".join(f"{action_names[p][a]}|{type_names[p][t]}" for t, a in enumerate(plan))
                        for plan in plans[p]) for p in range(n))

    # Index arrays over [S_1..S_n, T_1..T_n]: the type t_q on axis n + q, the
    # action plan_q[s_q, t_q] on axes q and n + q.
    def placed(arr, axes):
        shp = [1] * (2 * n)
        for ax, k in zip(axes, arr.shape):
            shp[ax] = k
        return arr.reshape(shp)

    type_idx = [placed(np.arange(T[q]), [n + q]) for q in range(n)]
    action_idx = [placed(plans[q], [q, n + q]) for q in range(n)]
    u = jnp.asarray(pay)
    gathered = u[(slice(None), *type_idx, *action_idx)]  # [n, S_1..S_n, T_1..T_n]
    weight = jnp.asarray(pr).reshape((1,) * (1 + n) + T)
    induced = jnp.sum(gathered * weight, axis=tuple(range(1 + n, 1 + 2 * n)))
    return InducedNormalForm(induced, plans, names, type_names, action_names)


def behaviour_strategy(game: InducedNormalForm, player: int, mixed) -> np.ndarray:
    """[T_p, A_p]: the probability of each action at each type under a mixed plan."""
    check_int("player", player, 0, len(game.plans) - 1)
    plans = game.plans[player]
    mixed = np.asarray(mixed, np.float64)
    if mixed.shape != (plans.shape[0],):
        raise InputError(f"mixed has shape {mixed.shape}; expected ({plans.shape[0]},), one "
                         f"probability per plan of player {player}")
    n_actions = len(game.actions[player])
    onehot = plans[:, :, None] == np.arange(n_actions)[None, None, :]  # [S, T, A]
    return np.einsum("s,sta->ta", mixed, onehot)
