"""The execution game's dynamics against a second implementation and the theory."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import params_to_dict
from jaxmarkets.execution import reference
from jaxmarkets.execution import theory as th
from jaxmarkets.execution.game import TIMINGS, ExecutionGame, fractions_from_schedule


def random_schedules(rng, n_agents, n_steps, q0):
    """Random feasible deterministic schedules [n, N] summing to q0."""
    return rng.dirichlet(np.ones(n_steps), n_agents) * np.asarray(q0)[:, None]


@pytest.mark.parametrize("timing", TIMINGS)
def test_env_matches_numpy_reference_path_by_path(timing):
    game = ExecutionGame(n_agents=3, n_steps=6, timing=timing)
    params = game.make_params(q0=[100.0, 50.0, 80.0], sigma=0.05, alpha=0.003, kappa=0.001)
    fractions = jax.random.uniform(jax.random.key(0), (64, 3, 6))
    keys = jax.random.split(jax.random.key(1), 64)
    out = jax.jit(jax.vmap(lambda k, f: game.rollout_fractions(k, params, f)))(keys, fractions)
    ref = reference.simulate(
        timing, params_to_dict(params), np.asarray(fractions), out["noise"].xi, np.asarray(out["noise"].order)
    )
    np.testing.assert_allclose(np.asarray(out["v"]), ref["v"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(out["is"]), ref["is"], rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize("timing", TIMINGS)
def test_rewards_sum_to_s0_q0_minus_shortfall_on_every_path(timing):
    """IS rebuilt from the mid-price path and Eq. (2), apart from the rewards."""
    game = ExecutionGame(n_agents=2, n_steps=5, timing=timing)
    params = game.make_params(sigma=0.1)

    def episode(key):
        obs, state = game.reset(key, params)

        def body(state, key):
            k_act, k_step = jax.random.split(key)
            actions = game.action_space(params).sample(k_act)
            _, new, rewards, done, info = game.step(k_step, state, actions, params)
            return new, (rewards, info["volume"], state.price, new.price, done)

        state, traj = jax.lax.scan(body, state, jax.random.split(key, 5))
        return state, traj

    states, (rewards, v, mid_before, mid_after, done) = jax.vmap(episode)(jax.random.split(jax.random.key(2), 32))
    rewards, v, mid_before = (np.asarray(x, np.float64) for x in (rewards, v, mid_before))
    alpha, kappa = 0.002, 0.001
    total = v.sum(-1)
    # the sell price each agent got, from the mid-price path alone
    base = mid_before[..., None] - alpha * v
    if timing == "inclusive":
        base = base - kappa * total[..., None]
    if timing == "aggregate":
        base = mid_before[..., None] - alpha * total[..., None]
    if timing == "sequential":
        # each agent sold first (base) or second (lower by kappa times the other's sell)
        second = base - kappa * v[..., ::-1]
        base = np.where(np.isclose(rewards, second * v, rtol=1e-5, atol=1e-3), second, base)
    is_from_prices = 10.0 * 100.0 - (base * v).sum(1)
    np.testing.assert_allclose(10.0 * 100.0 - rewards.sum(1), is_from_prices, rtol=1e-6, atol=2e-3)
    np.testing.assert_allclose(np.asarray(states.q), 0.0, atol=1e-4)
    np.testing.assert_allclose(v.sum(1), 100.0, rtol=1e-6)
    # the permanent impact of the whole step reaches the next mid-price
    step_move = np.asarray(mid_after, np.float64) - mid_before
    assert np.all(np.asarray(done)[:, -1]) and not np.any(np.asarray(done)[:, :-1])
    assert np.all(np.abs(step_move + kappa * total) < 0.1 * 6)  # noise is sigma = 0.1 per step


@pytest.mark.parametrize("timing", TIMINGS)
def test_closed_form_expected_is_and_variance_match_monte_carlo(timing):
    game = ExecutionGame(n_agents=2, n_steps=8, timing=timing)
    params = game.make_params(q0=[100.0, 60.0], sigma=0.05)
    v = random_schedules(np.random.default_rng(3), 2, 8, [100.0, 60.0])
    frac = fractions_from_schedule(jnp.asarray(v, jnp.float32), params.q0)
    n = 20000
    keys = jax.random.split(jax.random.key(4), n)
    samples = np.asarray(jax.jit(jax.vmap(lambda k: game.rollout_fractions(k, params, frac)["is"]))(keys), np.float64)
    with jax.enable_x64(True):
        p64 = jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), params)
        p64 = p64.replace(alpha=jnp.float64(0.002), kappa=jnp.float64(0.001), sigma=jnp.float64(0.05))
        mean = np.asarray(th.expected_is(game, p64, jnp.asarray(v)))
        var = np.asarray(th.variance_is(game, p64, jnp.asarray(v)) + th.order_variance_is(game, p64, jnp.asarray(v)))
    se = samples.std(0) / np.sqrt(n)
    assert np.all(np.abs(samples.mean(0) - mean) < 4 * se + 1e-3), (samples.mean(0), mean, se)
    # sample variance of n normal-ish draws has relative sd sqrt(2/n) ~ 1%
    np.testing.assert_allclose(samples.var(0), var, rtol=0.06)
