"""The N-maker environment of the liquidity game: roles, types, trades, both forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmarkets
from jaxmarkets.core import InputError
from jaxmarkets.liquidity.game import LiquidityGame, draw_types, roles_from_uniforms


def test_static_and_params_validation():
    with pytest.raises(InputError, match=r"n_makers = 1 is outside the allowed range \[2, inf\)"):
        jaxmarkets.make("liquidity", n_makers=1)
    with pytest.raises(InputError, match="printed model has 2 actions"):
        LiquidityGame(n_actions=3)
    env = LiquidityGame()
    p = env.default_params()
    env.validate(p)
    for bad, words in ((p.replace(prior=jnp.asarray(1.5)), "prior = 1.5"),
                       (p.replace(scale=jnp.asarray(0.0)), "scale = 0"),
                       (p.replace(payoffs=p.payoffs.at[0, 0, 0, 0, 0].set(jnp.nan)), "payoffs = .* is outside the allowed range"),
                       (p.replace(payoffs=jnp.zeros((2, 2, 3, 3, 2))), "payoffs has shape")):
        with pytest.raises(InputError, match=words):
            env.validate(bad)


def test_roles_and_types_are_drawn_as_stated():
    u = jax.random.uniform(jax.random.key(0), (2, 200_000))
    i, j = roles_from_uniforms(u[0], u[1], 5)
    i, j = np.asarray(i), np.asarray(j)
    assert np.all(i != j) and i.min() == 0 and i.max() == 4
    np.testing.assert_allclose(np.bincount(i, minlength=5) / i.size, 0.2, atol=0.01)
    np.testing.assert_allclose(np.bincount(j[i == 0], minlength=5)[1:] / (i == 0).sum(), 0.25, atol=0.02)
    types = draw_types(jax.random.key(1), 0.35, 100_000)
    assert abs(float(jnp.mean(types == 0)) - 0.35) < 0.01


def test_a_round_pays_the_printed_matrix():
    env = LiquidityGame(n_makers=3, n_rounds=3)
    params = env.make_params(prior=1.0)  # all large: the "a type" matrix
    # jitted: one compile each instead of many eager ops
    reset, step = jax.jit(env.reset), jax.jit(env.step)
    obs, state = reset(jax.random.key(2), params)
    i, j = int(state.initiator), int(state.responder)
    assert obs[i, 1] == 1.0 and obs[j, 2] == 1.0 and np.all(np.asarray(obs[:, 0]) == 1.0)
    actions = jnp.zeros(3).at[i].set(0.5).at[j].set(1.7)  # initiator low, responder high
    out = step(jax.random.key(3), state, actions, params)
    expected = np.zeros(3)
    expected[i] = expected[j] = 6.0  # (low, high) against a large responder: (6, 6)
    np.testing.assert_array_equal(np.asarray(out.rewards), expected)
    assert float(out.info["traded"]) == 6.0 and not bool(out.done)


def test_stackelberg_round_is_commit_then_respond():
    env = LiquidityGame(n_makers=2, n_rounds=1, form="stackelberg")
    params = env.make_params(prior=0.0)  # all small: "b type" for the responder
    reset, step = jax.jit(env.reset), jax.jit(env.step)
    _, state = reset(jax.random.key(4), params)
    i, j = int(state.initiator), int(state.responder)
    commit = jnp.zeros(2).at[i].set(0.2)  # initiator commits to low
    out = step(jax.random.key(5), state, commit, params)
    assert float(out.rewards.sum()) == 0.0 and int(out.state.committed) == 0
    assert np.all(np.asarray(out.obs[:, 3]) == 1.0) and not bool(out.done)
    # the initiator's action at the second step is ignored: the commitment holds
    respond = jnp.zeros(2).at[i].set(1.9).at[j].set(1.9)
    out2 = step(jax.random.key(6), out.state, respond, params)
    r = np.asarray(out2.rewards)
    assert r[i] == 5.0 and r[j] == 4.0 and bool(out2.done)  # (low, high) vs small: (5, 4)
    assert int(out2.state.committed) == -1


def test_sizes_model_caps_small_makers():
    env = LiquidityGame(n_makers=2, n_actions=4, model="sizes")
    p = env.default_params()
    # a small maker holds 2: its sizes 3 and 4 are parcels of 2
    np.testing.assert_array_equal(np.asarray(p.payoffs[1, 0, :, 3, 0]), [1, 2, 2, 2])
