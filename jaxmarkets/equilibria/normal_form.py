"""n-player normal-form games: payoffs of mixed profiles, NashConv, pure equilibria.

The game is a payoff tensor u[n_players, a_1, ..., a_n] (a `Bimatrix` is taken
as [A, B]); a mixed profile is a tuple of n probability vectors. Every function
is jit- and vmap-able; called with concrete arrays it validates them first (see
`payoffs.py`).

NashConv(s) = sum_p (max_a u_p(a, s_-p) - u_p(s)): zero exactly at a Nash
equilibrium, and the sum of what each player gains by its best unilateral
deviation. It is the quantity the learning code calls exploitability (OpenSpiel's
`exploitability` divides it by n_players; this does not).
"""

from __future__ import annotations

import string

import jax
import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.payoffs import as_tensor, check_strategies, is_concrete
from jaxmarkets.equilibria.tolerances import best_response_rtol

_LETTERS = string.ascii_letters


def _checked(payoffs, strategies):
    u = as_tensor(payoffs)
    s = check_strategies(strategies, u.shape[1:])
    dtype = jnp.result_type(u, *s, float)
    return u.astype(dtype), tuple(x.astype(dtype) for x in s)


def _action_values(u, strategies):
    """vals[p][a] = u_p(a, s_-p), each player's payoff of each own pure action."""
    n = u.shape[0]
    axes = _LETTERS[:n]
    out = []
    for p in range(n):
        others = [q for q in range(n) if q != p]
        spec = axes + "".join("," + axes[q] for q in others) + "->" + axes[p]
        out.append(jnp.einsum(spec, u[p], *[strategies[q] for q in others]))
    return tuple(out)


_action_values_jit = jax.jit(_action_values)


@jax.jit
def _values(u, strategies):
    vals = _action_values(u, strategies)
    current = jnp.stack([v @ s for v, s in zip(vals, strategies)])
    best = jnp.stack([jnp.max(v) for v in vals])
    return current, best


def action_values(payoffs, strategies) -> tuple[jax.Array, ...]:
    """Per player p, the payoff [a_p] of each of p's pure actions against s_-p."""
    return _action_values_jit(*_checked(payoffs, strategies))


def expected_payoffs(payoffs, strategies) -> jax.Array:
    """[n_players]: u_p(s), each player's expected payoff at the mixed profile s."""
    return _values(*_checked(payoffs, strategies))[0]


def best_response_values(payoffs, strategies) -> jax.Array:
    """[n_players]: max_a u_p(a, s_-p), each player's best-response payoff to s_-p."""
    return _values(*_checked(payoffs, strategies))[1]


def nash_conv(payoffs, strategies) -> jax.Array:
    """Sum over players of best-response payoff minus current payoff (>= 0)."""
    current, best = _values(*_checked(payoffs, strategies))
    return jnp.sum(best - current)


@jax.jit
def _pure_mask(u):
    rtol = best_response_rtol(u.dtype)
    mask = jnp.ones(u.shape[1:], bool)
    for p in range(u.shape[0]):
        span = jnp.max(u[p]) - jnp.min(u[p])
        scale = jnp.where(span > 0, span, 1.0)
        mask &= u[p] >= jnp.max(u[p], axis=p, keepdims=True) - rtol * scale
    return mask


def pure_equilibria(payoffs) -> jax.Array:
    """Bool [a_1, ..., a_n]: the pure profiles at which every player best-responds.

    Ties count as best responses (within `best_response_rtol` of the player's
    payoff range), so a degenerate game keeps every pure equilibrium.
    """
    u = as_tensor(payoffs)
    return _pure_mask(u.astype(jnp.result_type(u, float)))


def is_pure_equilibrium(payoffs, profile) -> jax.Array:
    """Whether the pure profile (one action index per player) is a Nash equilibrium."""
    u = as_tensor(payoffs)
    n = u.shape[0]
    if all(is_concrete(a) for a in (profile if isinstance(profile, (tuple, list)) else [profile])):
        prof = np.asarray(profile)
        if prof.shape != (n,) or prof.dtype.kind not in "iu":
            raise InputError(f"profile = {profile!r} must be {n} action indices, one per player")
        for p, (a, k) in enumerate(zip(prof, u.shape[1:])):
            if not 0 <= a < k:
                raise InputError(f"profile[{p}] = {a} is outside the allowed range [0, {k - 1}]")
    mask = _pure_mask(u.astype(jnp.result_type(u, float)))
    return mask[tuple(jnp.asarray(profile)[p] for p in range(n))]


def pure_equilibrium_profiles(payoffs) -> list[tuple[int, ...]]:
    """The pure equilibria as a list of action-index tuples, in row-major order."""
    return [tuple(int(i) for i in idx) for idx in np.argwhere(np.asarray(pure_equilibria(payoffs)))]


def pure_profile(action_counts, profile) -> tuple[jax.Array, ...]:
    """The mixed profile that plays `profile` (one action index per player) for sure."""
    return tuple(jax.nn.one_hot(a, k) for a, k in zip(profile, action_counts))


