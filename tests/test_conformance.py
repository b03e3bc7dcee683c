"""Shared API conformance: every game in `conformance.GAMES` passes these."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmarkets
from conformance import GAMES
from jaxmarkets.core import is_finite_tree


def rollout(env, key, params, horizon):
    """Observations, rewards and dones of one trajectory with random actions."""
    key_reset, key = jax.random.split(key)
    obs, state = env.reset(key_reset, params)

    def body(carry, key):
        obs, state = carry
        key_act, key_step = jax.random.split(key)
        actions = env.action_space(params).sample(key_act)
        obs, state, rewards, done, info = env.step(key_step, state, actions, params)
        return (obs, state), (obs, rewards, done)

    _, traj = jax.lax.scan(body, (obs, state), jax.random.split(key, horizon))
    return traj


@pytest.fixture(params=GAMES, ids=lambda g: g.name)
def spec(request):
    return request.param


def test_reset_and_step_shapes_and_dtypes(spec):
    env = spec.make_env()
    params = env.default_params()
    env.validate(params)
    obs, state = env.reset(jax.random.key(0), params)
    space = env.observation_space(params)
    assert obs.shape == space.shape
    assert obs.dtype == jnp.dtype(space.dtype)
    actions = env.action_space(params).sample(jax.random.key(1))
    assert actions.shape[0] == env.n_agents
    obs2, state2, rewards, done, info = env.step(jax.random.key(2), state, actions, params)
    assert obs2.shape == space.shape and obs2.dtype == obs.dtype
    assert rewards.shape == (env.n_agents,)
    assert jnp.issubdtype(rewards.dtype, jnp.floating)
    assert done.shape == () and done.dtype == jnp.bool_
    assert info["terminated"].dtype == jnp.bool_ and info["truncated"].dtype == jnp.bool_
    assert jax.tree.structure(state2) == jax.tree.structure(state)


def test_jit_matches_eager(spec):
    env = spec.make_env()
    params = env.default_params()
    eager = rollout(env, jax.random.key(3), params, spec.horizon)
    jitted = jax.jit(rollout, static_argnums=(0, 3))(env, jax.random.key(3), params, spec.horizon)
    for a, b in zip(jax.tree.leaves(eager), jax.tree.leaves(jitted)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_vmap_over_keys_and_params(spec):
    env = spec.make_env()
    params = env.default_params()
    run = jax.jit(rollout, static_argnums=(0, 3))
    keys = jax.random.split(jax.random.key(4), 4)
    over_keys = jax.vmap(lambda k: run(env, k, params, spec.horizon))(keys)
    for i in range(4):  # each vmapped row equals its own single run
        single = run(env, keys[i], params, spec.horizon)
        for a, b in zip(jax.tree.leaves(over_keys), jax.tree.leaves(single)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=1e-5, atol=1e-5)

    scales = jnp.array([0.5, 1.0, 2.0])
    batch = jax.vmap(lambda s: params.replace(**{spec.vary: getattr(params, spec.vary) * s}))(scales)
    env.validate(batch)
    over_params = jax.vmap(lambda p: run(env, keys[0], p, spec.horizon))(batch)
    assert jax.tree.leaves(over_params)[0].shape[0] == 3
    assert is_finite_tree(over_params)


def test_same_key_same_trajectory_different_keys_differ(spec):
    env = spec.make_env()
    params = env.default_params()
    run = jax.jit(rollout, static_argnums=(0, 3))
    a = run(env, jax.random.key(5), params, spec.horizon)
    b = run(env, jax.random.key(5), params, spec.horizon)
    c = run(env, jax.random.key(6), params, spec.horizon)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    assert any(
        not np.array_equal(np.asarray(x), np.asarray(y))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(c))
    )


def test_no_nan_or_inf_on_valid_params(spec):
    env = spec.make_env()
    params = env.default_params()
    keys = jax.random.split(jax.random.key(7), 16)
    trajs = jax.vmap(lambda k: rollout(env, k, params, spec.horizon))(keys)
    assert is_finite_tree(trajs)


def test_registry_make_builds_every_game_and_rejects_unknown_names():
    from jaxmarkets.core import InputError

    for name in jaxmarkets.GAMES:
        env = jaxmarkets.make(name)
        env.validate(env.default_params())
    with pytest.raises(InputError, match="game = 'nope'"):
        jaxmarkets.make("nope")
    with pytest.raises(InputError, match="unknown static field 'n_banks'"):
        jaxmarkets.make("execution", n_banks=3)
