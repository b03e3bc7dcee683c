"""Roth-Erev traders (overview Section 4.1.4; JCAT's StimuliResponseStrategy
with RothErevLearner).

K actions, action a meaning markup a x scale: a buyer shouts value - a x scale
(floored at 0), a seller value + a x scale. Propensities start at scaling / K.
At each round's end an active trader (units left) rewards its last chosen
action with R = the net profit of its last trade today (0 before any):

    q_i <- (1 - recency) q_i + R (1 - experimentation)        i = last action
    q_i <- (1 - recency) q_i + R experimentation / (K - 1)    otherwise

and when the propensities sum to at most 1e-9 they restart at scaling / K
(JCAT). Probabilities are the propensities over their sum; a propensity made
negative by a loss counts as 0 when choosing (JCAT leaves it negative, which
is not a distribution).
"""

from __future__ import annotations

import jax.numpy as jnp

from jaxmarkets.cat.state import RothErev


def init(n: int, k: int, params) -> RothErev:
    q = jnp.broadcast_to(params.re_scaling / k, (n, k)).astype(jnp.float32)
    return RothErev(propensity=q, last_action=jnp.zeros(n, jnp.int32))


def choose(propensity_row, u):
    """Inverse-CDF draw of one action from one trader's propensities."""
    w = jnp.maximum(propensity_row, 0.0)
    cdf = jnp.cumsum(w)
    total = cdf[-1]
    k = w.shape[0]
    uniform = (jnp.floor(u * k)).astype(jnp.int32)
    drawn = jnp.sum(cdf <= u * total).astype(jnp.int32)
    return jnp.where(total > 0, jnp.minimum(drawn, k - 1), jnp.minimum(uniform, k - 1))


def learn(re: RothErev, reward, learning, params) -> RothErev:
    q = re.propensity
    k = q.shape[1]
    e = params.re_experimentation
    chosen = jnp.arange(k)[None, :] == re.last_action[:, None]
    share = jnp.where(chosen, 1.0 - e, e / max(k - 1, 1))
    new = (1.0 - params.re_recency) * q + reward[:, None] * share
    restart = new.sum(1, keepdims=True) <= 1e-9
    new = jnp.where(restart, params.re_scaling / k, new)
    return re._replace(propensity=jnp.where(learning[:, None], new, q))
