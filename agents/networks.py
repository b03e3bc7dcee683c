"""Q-networks (paper 001, Section 3.1): dense layers with leaky ReLU.

`QNetwork(obs, candidates)` returns one Q-value per candidate action:

- head "action_in" (the paper's form, the default): the action feature is an
  input beside the observation features. The first layer is affine, so its
  observation part is computed once per state and the action part added per
  candidate: evaluating K candidates costs one first-layer product per state,
  not K, and the remaining layers run on one [..., K, hidden] block.
- head "action_out": one output per grid action, from the observation alone;
  `candidates` then only fixes how many outputs there are. Far cheaper.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

HEADS = ("action_in", "action_out")


class QNetwork(nn.Module):
    hidden: Sequence[int] = (30, 30, 30, 30, 30)
    head: str = "action_in"
    n_actions: int = 21
    negative_slope: float = 0.01

    @nn.compact
    def __call__(self, obs: jax.Array, candidates: jax.Array) -> jax.Array:
        """obs [..., d], candidates [..., K] action features -> Q [..., K].

        For "action_out", K must be `n_actions` and the candidates' values are
        ignored: output k is the value of grid action k.
        """
        act = lambda x: nn.leaky_relu(x, self.negative_slope)  # noqa: E731
        width = self.hidden[0]
        h = nn.Dense(width, name="obs_in")(obs)
        if self.head == "action_in":
            w_action = self.param("action_in", nn.initializers.lecun_normal(), (1, width))
            h = h[..., None, :] + candidates[..., :, None] * w_action[0]
        h = act(h)
        for i, size in enumerate(self.hidden[1:]):
            h = act(nn.Dense(size, name=f"hidden_{i + 1}")(h))
        if self.head == "action_in":
            return nn.Dense(1, name="q")(h)[..., 0]
        return nn.Dense(self.n_actions, name="q")(h)


def q_at(net: QNetwork, params, obs, features, indices):
    """Q-values [...] of single actions: by feature (action_in) or grid index (action_out)."""
    if net.head == "action_in":
        return net.apply(params, obs, features[..., None])[..., 0]
    grid = jnp.zeros((*features.shape, net.n_actions), obs.dtype)
    q = net.apply(params, obs, grid)
    return jnp.take_along_axis(q, indices[..., None], -1)[..., 0]

