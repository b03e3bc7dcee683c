"""The environment against the NumPy reference, path by path (float64).

Each case is one static configuration (one compile): a batch of random
instances and random actions, vmapped; every step's prices, cash, holdings,
defaults, objective values and rewards must equal the reference's. The
instances are drawn thin (equity a few percent of assets, steep impact) so
that defaults happen, and the cases cover both execution timings, all impact
kinds, both needs, both objectives, both default rules and both action sets.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidation import batched, reference
from jaxmarkets.liquidation.game import LiquidationGame

PATHS = 8

CASES = {
    "linear-post-equity": dict(n_banks=2, n_assets=2, horizon=3, impact="linear", execution="post"),
    "exp-pre-cash-leverage": dict(n_banks=5, n_assets=3, horizon=4, impact="exponential", execution="pre",
                                  objective="cash", need="leverage", n_levels=3),
    "power-post-freeze-grid": dict(n_banks=4, n_assets=2, horizon=3, impact="power", on_default="freeze",
                                   action_set="grid"),
    "linear-pre-talk": dict(n_banks=3, n_assets=2, horizon=3, execution="pre", communication="cheap_talk",
                            n_messages=3),
    "exp-random-portfolios": dict(n_banks=6, n_assets=4, horizon=3, impact="exponential", objective="cash",
                                  portfolios="random", diversification=2),
}


def draw_instance(env: LiquidationGame, rng: np.random.Generator):
    """A thin-equity instance that passes validate (the need is scaled into reach)."""
    N, M = env.n_banks, env.n_assets
    holdings = rng.uniform(0, 100, (N, M)) * (rng.uniform(size=(N, M)) < 0.8)
    holdings[:, 0] += 1.0  # nobody is empty
    prices0 = rng.uniform(0.5, 2.0, M)
    risky = holdings @ prices0
    cash = rng.uniform(0, 0.1, N) * risky
    liabilities = (cash + risky) * rng.uniform(0.85, 0.99, N)
    params = env.make_params(
        holdings=holdings, cash=cash, liabilities=liabilities, prices0=prices0,
        impact_coef=rng.uniform(0.0005, 0.01, M), exponent=rng.uniform(0.4, 1.6, M),
        withdrawal=cash + rng.uniform(0.05, 0.3, N) * risky, leverage_cap=rng.uniform(10, 30),
        max_sale=rng.uniform(0.3, 1.0), default_penalty=rng.uniform(0, 5), signal_weights=1.0,
    )
    try:
        env.validate(params)
    except InputError:
        return draw_instance(env, rng)
    return params


def rollout(env, params, actions, key):
    k_reset, k_steps = jax.random.split(key)
    _, state = env.reset(k_reset, params)
    v0 = state.value

    def body(state, inputs):
        a, k = inputs
        out = env.step(k, state, a, params)
        s = out.state
        return s, (s.prices, s.cash, s.holdings, s.defaulted, s.value, out.rewards, out.info["sales"])

    _, traj = jax.lax.scan(body, state, (actions, jax.random.split(k_steps, actions.shape[0])))
    return state.holdings0, v0, traj


@pytest.fixture(scope="module")
def results():
    out = {}
    with jax.enable_x64(True):
        for name, static in CASES.items():
            env = LiquidationGame(**static)
            rng = np.random.default_rng(list(CASES).index(name))
            instances = [draw_instance(env, rng) for _ in range(PATHS)]
            batch = jax.tree.map(lambda *xs: jnp.stack(xs), *instances)
            actions = rng.integers(0, env.n_actions, (PATHS, env.horizon, env.n_banks))
            keys = jax.random.split(jax.random.key(0), PATHS)
            run = jax.jit(jax.vmap(lambda p, a, k: rollout(env, p, a, k)))
            h0, v0, traj = jax.tree.map(np.asarray, run(batch, jnp.asarray(actions), keys))
            out[name] = (env, instances, actions, h0, v0, traj)
    return out


FIELDS = ("prices", "cash", "holdings", "defaulted", "value", "rewards", "sales")


@pytest.mark.parametrize("name", list(CASES))
def test_environment_matches_numpy_reference_path_by_path(results, name):
    env, instances, actions, h0, v0, traj = results[name]
    config = dataclasses.asdict(env)
    for b in range(PATHS):
        params = {k: np.asarray(v) for k, v in dataclasses.asdict(instances[b]).items()}
        ref = reference.run(config, params, h0[b], actions[b])
        for field, got in zip(FIELDS, traj):
            np.testing.assert_allclose(got[b], ref[field], rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name} path {b}: {field}")
        # rewards are changes of the objective value: they sum to V(T) - V(0)
        np.testing.assert_allclose(traj[5][b].sum(0), ref["value"][-1] - v0[b], rtol=1e-9, atol=1e-9)


def test_paths_include_defaults_and_survivors(results):
    """The comparison above covers both outcomes, insolvency defaults mid-episode included."""
    dead = np.concatenate([r[5][3][:, -1].reshape(-1) for r in results.values()])
    assert dead.any() and not dead.all()
    early = np.concatenate([r[5][3][:, :-1].reshape(-1) for r in results.values()])
    assert early.any()  # some bank defaulted before the deadline (insolvency, not the need)


def test_random_portfolios_hold_diversification_assets_of_equal_value(results):
    env, instances, _, h0, _, _ = results["exp-random-portfolios"]
    for b in range(PATHS):
        p = instances[b]
        values = h0[b] * np.asarray(p.prices0)
        assert ((values > 0).sum(1) == env.diversification).all()
        np.testing.assert_allclose(values.sum(1), np.asarray(p.holdings) @ np.asarray(p.prices0), rtol=1e-12)
        held = values[values > 0].reshape(env.n_banks, env.diversification)
        np.testing.assert_allclose(held, held[:, :1] * np.ones_like(held), rtol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_batched_numpy_stepper_matches_the_environment(results, name):
    """The benchmark's vectorised NumPy yardstick plays every path of a case at
    once (per-episode params) and must give the environment's trajectories."""
    env, instances, actions, h0, _, traj = results[name]
    fields = [dataclasses.asdict(p) for p in instances]
    params = {k: np.stack([np.asarray(f[k]) for f in fields]) for k in fields[0]}
    got = batched.run(dataclasses.asdict(env), params, h0, actions)
    for field, want in zip(FIELDS, traj):
        np.testing.assert_allclose(got[field], want, rtol=1e-9, atol=1e-9, err_msg=f"{name}: {field}")
