"""Q-networks (paper 001, Section 3.1): dense layers with leaky ReLU.

`QNetwork(obs, candidates)` returns one Q-value per candidate action
(`RecurrentQNetwork`, at the end, puts a recurrent cell in front of one):

- head "action_in" (the paper's form, the default): the action feature is an
  input beside the observation features. The first layer is affine, so its
  observation part is computed once per state and the action part added per
  candidate: evaluating K candidates costs one first-layer product per state,
  not K, and the remaining layers run on one [..., K, hidden] block.
- head "action_out": one output per grid action, from the observation alone;
  `candidates` then only fixes how many outputs there are. Far cheaper.

Hidden layers are stored zero-padded to a width that is a multiple of
`pad_to`: XLA:CPU's small matrix products run about a third faster at width 32
than at the paper's 30, though they do more arithmetic (padding inside each
call costs more than it saves). The padding is exact: a padded unit's
pre-activation is 0, leaky ReLU keeps it 0 and its outgoing weights are 0, so
no output depends on it and every padded parameter's gradient is exactly 0,
which leaves it 0 under Adam. `true_params` slices the padding off; the
initial true parameters are those of an unpadded network (`nn.Dense`'s
initialisation at the true shapes).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from agents.cells import make_cell

HEADS = ("action_in", "action_out")


def _padded(n: int, multiple: int) -> int:
    return -(-n // multiple) * multiple


def _padded_init(init, true_shape):
    """`init` at `true_shape`, zero-padded to the requested shape."""

    def padded(key, shape, dtype=jnp.float32):
        x = init(key, true_shape, dtype)
        return jnp.pad(x, [(0, s - t) for s, t in zip(shape, true_shape)])

    return padded


class _Dense(nn.Module):
    """`nn.Dense`'s parameter names and initialisation, stored zero-padded."""

    true_in: int
    true_out: int
    pad_in: int
    pad_out: int

    @nn.compact
    def __call__(self, x):
        true = (self.true_in, self.true_out)
        kernel = self.param(
            "kernel", _padded_init(nn.initializers.lecun_normal(), true), (self.pad_in, self.pad_out)
        )
        bias = self.param("bias", nn.initializers.zeros_init(), (self.pad_out,))
        return x @ kernel + bias


class QNetwork(nn.Module):
    hidden: Sequence[int] = (30, 30, 30, 30, 30)
    head: str = "action_in"
    n_actions: int = 21
    negative_slope: float = 0.01
    pad_to: int = 8  # hidden widths are stored padded to a multiple of this (1: none)

    def _widths(self):
        return [_padded(w, self.pad_to) for w in self.hidden]

    @nn.compact
    def __call__(self, obs: jax.Array, candidates: jax.Array) -> jax.Array:
        """obs [..., d], candidates [..., K] action features -> Q [..., K].

        For "action_out", K must be `n_actions` and the candidates' values are
        ignored: output k is the value of grid action k.
        """
        act = lambda x: nn.leaky_relu(x, self.negative_slope)  # noqa: E731
        true, padded = list(self.hidden), self._widths()
        d = obs.shape[-1]
        h = _Dense(d, true[0], d, padded[0], name="obs_in")(obs)
        if self.head == "action_in":
            init = _padded_init(nn.initializers.lecun_normal(), (1, true[0]))
            w_action = self.param("action_in", init, (1, padded[0]))
            h = h[..., None, :] + candidates[..., :, None] * w_action[0]
        h = act(h)
        for i in range(1, len(true)):
            h = act(_Dense(true[i - 1], true[i], padded[i - 1], padded[i], name=f"hidden_{i}")(h))
        n_out = 1 if self.head == "action_in" else self.n_actions
        q = _Dense(true[-1], n_out, padded[-1], n_out, name="q")(h)
        return q[..., 0] if self.head == "action_in" else q

    def true_params(self, variables):
        """`variables` with the padding sliced off: the parameters at the paper's shapes."""
        true = list(self.hidden)

        def cut(path, x):
            names = [getattr(k, "key", None) for k in path]
            layer, leaf = names[-2], names[-1]
            if leaf == "action_in":  # [1, width]
                return x[..., : true[0]]
            if layer == "obs_in":
                return x[..., : true[0]]
            if layer.startswith("hidden_"):
                i = int(layer.split("_")[1])
                return x[..., : true[i - 1], : true[i]] if leaf == "kernel" else x[..., : true[i]]
            if layer == "q" and leaf == "kernel":
                return x[..., : true[-1], :]
            return x

        return jax.tree_util.tree_map_with_path(cut, variables)


def q_at(net: QNetwork, params, obs, features, indices):
    """Q-values [...] of single actions: by feature (action_in) or grid index (action_out)."""
    if net.head == "action_in":
        return net.apply(params, obs, features[..., None])[..., 0]
    grid = jnp.zeros((*features.shape, net.n_actions), obs.dtype)
    q = net.apply(params, obs, grid)
    return jnp.take_along_axis(q, indices[..., None], -1)[..., 0]


class RecurrentQNetwork(nn.Module):
    """A recurrent cell over the observation history, then a `QNetwork` head.

    The cell counts as the first of `n_layers` hidden layers, so Table 1's five
    layers are a cell and four dense layers. Methods:

    - `step(carry, obs) -> (carry, features)`: one step of the cell;
    - `q(features, candidates) -> Q [..., K]`: the head on the cell's output;
    - `__call__(carry, obs, candidates)`: both (used to create the parameters).
    """

    cell: str = "gru"
    hidden: int = 30
    n_layers: int = 5
    head: str = "action_in"
    n_actions: int = 21
    negative_slope: float = 0.01
    pad_to: int = 8

    def setup(self):
        self.rnn = make_cell(self.cell, self.hidden)
        self.q_head = QNetwork(
            hidden=(self.hidden,) * (self.n_layers - 1),
            head=self.head,
            n_actions=self.n_actions,
            negative_slope=self.negative_slope,
            pad_to=self.pad_to,
        )

    def __call__(self, carry, obs, candidates):
        carry, features = self.rnn(carry, obs)
        return carry, self.q_head(features, candidates)

    def step(self, carry, obs):
        return self.rnn(carry, obs)

    def q(self, features, candidates):
        return self.q_head(features, candidates)


def recurrent_q_at(net: RecurrentQNetwork, params, features, actions, indices):
    """Q-values [...] of single actions from the cell's features (see `q_at`)."""
    if net.head == "action_in":
        return net.apply(params, features, actions[..., None], method=net.q)[..., 0]
    grid = jnp.zeros((*actions.shape, net.n_actions), features.dtype)
    q = net.apply(params, features, grid, method=net.q)
    return jnp.take_along_axis(q, indices[..., None], -1)[..., 0]
