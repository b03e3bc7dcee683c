"""Replay ring (with Algorithm 1's halving) and the Q-network's two heads."""

import jax
import jax.numpy as jnp
import numpy as np

from agents import replay
from agents.networks import QNetwork, q_at


def _fill(capacity, n_items, halve):
    buf = replay.init(jnp.zeros(()), capacity)
    for i in range(n_items):
        buf = replay.add(buf, jnp.asarray(float(i)), halve_when_full=halve)
    return buf


def test_ring_keeps_most_recent_items():
    buf = _fill(8, 11, halve=False)
    assert int(buf.size) == 8
    got = np.asarray(replay.sample(buf, jnp.linspace(0.0, 0.999, 64)))
    # 11 writes into 8 slots: items 3..10 are what remains.
    assert set(got.tolist()) == set(range(3, 11))


def test_halving_forgets_older_half():
    buf = _fill(8, 8, halve=True)
    assert int(buf.size) == 4
    got = np.asarray(replay.sample(buf, jnp.linspace(0.0, 0.999, 64)))
    assert set(got.tolist()) == {4.0, 5.0, 6.0, 7.0}
    # after halving the memory grows again from 4 and keeps the newest items
    buf = _fill(8, 11, halve=True)
    assert int(buf.size) == 7
    got = np.asarray(replay.sample(buf, jnp.linspace(0.0, 0.999, 64)))
    assert set(got.tolist()) == set(range(4, 11))


def _plain_mlp(params, x, slope):
    """The network written as a plain MLP on concatenated [obs, action] inputs."""
    p = params["params"]
    assert p["hidden_1"]["kernel"].shape == (30, 30)  # true shapes, padding sliced off
    w0 = jnp.concatenate([p["obs_in"]["kernel"], p["action_in"]], axis=0)
    h = jax.nn.leaky_relu(x @ w0 + p["obs_in"]["bias"], slope)
    i = 1
    while f"hidden_{i}" in p:
        h = jax.nn.leaky_relu(h @ p[f"hidden_{i}"]["kernel"] + p[f"hidden_{i}"]["bias"], slope)
        i += 1
    return (h @ p["q"]["kernel"] + p["q"]["bias"])[..., 0]


def test_action_in_equals_plain_mlp_on_concatenated_inputs():
    net = QNetwork(hidden=(30,) * 5, head="action_in", negative_slope=0.01)
    obs = jax.random.uniform(jax.random.key(0), (7, 3), minval=-1, maxval=1)
    cands = jax.random.uniform(jax.random.key(1), (7, 5), minval=-1, maxval=1)
    params = net.init(jax.random.key(2), obs, cands)
    got = net.apply(params, obs, cands)
    x = jnp.concatenate([jnp.repeat(obs[:, None, :], 5, 1), cands[..., None]], -1)
    np.testing.assert_allclose(got, _plain_mlp(net.true_params(params), x, 0.01), rtol=1e-5, atol=1e-6)
    # five hidden layers of 30 units, as in Section 3.1
    assert sum(1 for k in params["params"] if k.startswith("hidden_")) == 4
    single = q_at(net, params, obs, cands[:, 2], jnp.zeros(7, jnp.int32))
    np.testing.assert_allclose(single, got[:, 2], rtol=1e-5, atol=1e-6)


def test_action_out_head_one_output_per_grid_action():
    net = QNetwork(hidden=(30,) * 5, head="action_out", n_actions=4)
    obs = jax.random.uniform(jax.random.key(0), (6, 3))
    params = net.init(jax.random.key(1), obs, jnp.zeros(4))
    q = net.apply(params, obs, jnp.zeros((6, 4)))
    assert q.shape == (6, 4)
    idx = jnp.array([0, 1, 2, 3, 1, 0])
    np.testing.assert_allclose(q_at(net, params, obs, jnp.zeros(6), idx), q[jnp.arange(6), idx])


def test_padding_is_stored_as_zeros_and_initialises_like_an_unpadded_network():
    obs = jax.random.uniform(jax.random.key(0), (4, 3))
    cands = jnp.zeros((4, 21))
    for head in ("action_in", "action_out"):
        padded = QNetwork(hidden=(30,) * 5, head=head, pad_to=8)
        plain = QNetwork(hidden=(30,) * 5, head=head, pad_to=1)
        p_padded = padded.init(jax.random.key(1), obs, cands)
        p_plain = plain.init(jax.random.key(1), obs, cands)
        assert p_padded["params"]["hidden_2"]["kernel"].shape == (32, 32)
        assert p_plain["params"]["hidden_2"]["kernel"].shape == (30, 30)
        true = padded.true_params(p_padded)
        for a, b in zip(jax.tree.leaves(true), jax.tree.leaves(p_plain)):
            np.testing.assert_array_equal(a, b)
        nonzero = lambda tree: sum(int(np.count_nonzero(x)) for x in jax.tree.leaves(tree))  # noqa: E731
        assert nonzero(p_padded) == nonzero(true)  # every padded entry is 0
        np.testing.assert_allclose(
            padded.apply(p_padded, obs, cands), plain.apply(p_plain, obs, cands), rtol=1e-5, atol=1e-6
        )
