"""The policy-gradient learners' network: an actor and a critic, each an MLP
with tanh units, optionally behind a recurrent cell.

    carry, head, value = ActorCritic(...).apply(params, carry, obs)

`head` feeds the action object's distribution (`agents.policy`), `value` is the
critic's state value. Feed-forward networks take and return an empty carry, so
the learner has one code path; over a whole sequence a feed-forward network is
applied to every step at once (`evaluate`), a recurrent one is unrolled.

The MLPs keep their activations *feature-major*: the batch on the last,
contiguous axis ([features, batch]), transposing only the inputs and the few
outputs. The parameters are `nn.Dense`'s (kernel [in, out], bias [out]), only
the products are written the other way round. Why: the weight gradient of a
layer is a product that sums over the batch, and XLA:CPU runs it as
[out, batch] x [batch, in] with both operands contiguous along the batch far
faster than the [in, batch] x [batch, out] of the batch-major layout (in one
process, a 2 x 64 MLP's forward and backward on 10,240 rows took 3.3 ms against
7.7 ms, and the PPO update of `jaxmarkets bench pg` about 0.7x the time).

Initialisation with PPO's usual gains: sqrt(2) in the hidden layers, 0.01 on
the policy head (the first policy is close to uniform, or to the action
object's initial spread) and 1 on the value head. The weights are drawn normal
with the entry scale of the orthogonal matrices PPO implementations use
(`agents.cells.scaled_normal`), but not orthogonal: an orthogonal draw is a
LAPACK QR custom call, and two of those in one program sharded over XLA:CPU's
host devices deadlocked (`agents.cells.INIT_WITHOUT_LAPACK`).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from agents.cells import make_cell, scaled_normal, zero_carry


class DenseT(nn.Module):
    """`nn.Dense`'s parameters applied to feature-major inputs [in, batch] -> [out, batch]."""

    features: int
    gain: float

    @nn.compact
    def __call__(self, x_t):
        kernel = self.param("kernel", scaled_normal(self.gain), (x_t.shape[0], self.features))
        bias = self.param("bias", nn.initializers.zeros_init(), (self.features,))
        return kernel.T @ x_t + bias[:, None]


class MLP(nn.Module):
    """tanh MLP [..., d] -> [..., n_out], computed feature-major inside."""

    widths: tuple[int, ...]
    n_out: int
    out_gain: float

    @nn.compact
    def __call__(self, x):
        lead = x.shape[:-1]
        h = x.reshape(-1, x.shape[-1]).T
        for i, w in enumerate(self.widths):
            h = jnp.tanh(DenseT(w, np.sqrt(2.0), name=f"Dense_{i}")(h))
        out = DenseT(self.n_out, self.out_gain, name=f"Dense_{len(self.widths)}")(h)
        return out.T.reshape(*lead, self.n_out)


class ActorCritic(nn.Module):
    hidden: int = 64
    n_layers: int = 2
    n_outputs: int = 2  # policy-head outputs (the action object's `n_outputs`)
    cell: str = "none"  # "none", "gru" or "lstm"

    def setup(self):
        widths = (self.hidden,) * self.n_layers
        if self.cell != "none":
            self.rnn = make_cell(self.cell, self.hidden)
        self.actor = MLP(widths, self.n_outputs, 0.01)
        self.critic = MLP(widths, 1, 1.0)

    def __call__(self, carry, obs):
        """(carry, obs [..., d]) -> (carry, head [..., n_outputs], value [...])."""
        x = obs
        if self.cell != "none":
            carry, x = self.rnn(carry, obs)
        return carry, self.actor(x), self.critic(x)[..., 0]

    def initial_carry(self, batch_shape=()):
        return () if self.cell == "none" else zero_carry(self.cell, self.hidden, batch_shape)


def evaluate(net: ActorCritic, params, obs_seq):
    """Heads [T, B, n_outputs] and values [T, B] of whole episodes obs_seq [T, B, d],
    each started from the initial carry."""
    if net.cell == "none":
        _, head, value = net.apply(params, (), obs_seq)
        return head, value

    def step(carry, obs):
        carry, head, value = net.apply(params, carry, obs)
        return carry, (head, value)

    _, (head, value) = jax.lax.scan(step, net.initial_carry(obs_seq.shape[1:-1]), obs_seq)
    return head, value
