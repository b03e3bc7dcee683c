"""What a population of N makers' strategies is worth: exploitability, and the
Bayesian prediction it is compared with.

A maker's strategy has two roles: as initiator (one mixed action) and as
responder (one mixed action, or in the Stackelberg form one per initiator
action it may see). `sigma[N, 2, C, A]` holds them: role 0 initiator (context
0 only), role 1 responder (C = 1 simultaneous, C = A Stackelberg).

Each round maker i is the initiator with probability 1/N and the responder
with probability 1/N, its counterparty uniform over the others. Its expected
payoff per round is therefore (1/N) [u_init(sigma_i) + u_resp(sigma_i)], each
against the others' strategies averaged over them (their types are fixed in a
game). NashConv is the sum over makers of what a best response in both roles
would add per round (`jaxmarkets.equilibria.nash_conv`'s convention, for this
N-player game); 0 exactly at a Nash equilibrium of the game with these types.
"""

from __future__ import annotations

import jax.numpy as jnp


def _pair_tensor(payoffs, types):
    """[N (initiator), N (responder), A, A, 2]: payoffs of each ordered pair."""
    return payoffs[types[:, None], types[None, :]]


def _others(n: int, dtype):
    return (1.0 - jnp.eye(n, dtype=dtype)) / (n - 1)


def response_tensor(sigma, form: str):
    """rho[j, a, b]: responder j's probability of b when the initiator plays a."""
    A = sigma.shape[-1]
    if form == "stackelberg":
        return sigma[:, 1]
    return jnp.broadcast_to(sigma[:, 1, :1], (sigma.shape[0], A, A))


def role_gains(payoffs, types, sigma, form: str):
    """[N, 2]: per maker, what a best response adds as initiator and as responder
    (per round in which it has that role)."""
    P = _pair_tensor(payoffs, types)
    N = types.shape[0]
    W = _others(N, P.dtype)
    s_init = sigma[:, 0, 0]  # [N, A]
    rho = response_tensor(sigma, form)
    v_init = jnp.einsum("ij,ijab,jab->ia", W, P[..., 0], rho)
    gain_init = jnp.max(v_init, -1) - jnp.sum(s_init * v_init, -1)
    # maker i responding to initiator j: P[j, i, a, b, 1], weights W[j, i]
    w = jnp.einsum("ji,jiab,ja->iab", W, P[..., 1], s_init)  # [N, a, b]
    if form == "stackelberg":
        best = jnp.sum(jnp.max(w, -1), -1)
        current = jnp.sum(sigma[:, 1] * w, axis=(-2, -1))
    else:
        v_resp = jnp.sum(w, axis=1)  # [N, b]
        best = jnp.max(v_resp, -1)
        current = jnp.sum(sigma[:, 1, 0] * v_resp, -1)
    return jnp.stack([gain_init, best - current], -1)


def population_nash_conv(payoffs, types, sigma, form: str):
    """NashConv per round of the N-maker game with these types (module docstring)."""
    return jnp.sum(role_gains(payoffs, types, sigma, form)) / types.shape[0]


def pair_nash_conv(payoffs, types, sigma, initiator: int, responder: int):
    """NashConv of the bimatrix stage game between `initiator` (its initiator
    strategy) and `responder` (its simultaneous responder strategy)."""
    P = payoffs[types[initiator], types[responder]]
    x, y = sigma[initiator, 0, 0], sigma[responder, 1, 0]
    u1, u2 = P[..., 0], P[..., 1]
    return (jnp.max(u1 @ y) - x @ u1 @ y) + (jnp.max(x @ u2) - x @ u2 @ y)


def others_large_share(types):
    """[N]: for each maker, the share of large makers among the others."""
    large = (types == 0).astype(jnp.float32)
    n = types.shape[0]
    return (jnp.sum(large) - large) / (n - 1)


def bayesian_prediction(types, threshold: float):
    """[N] +1 where the Bayesian best response (counterparties drawn from the
    others, responders playing their dominant action) is the larger action,
    -1 where the smaller, 0 at the threshold itself."""
    f = others_large_share(types)
    return jnp.sign(f - threshold)
