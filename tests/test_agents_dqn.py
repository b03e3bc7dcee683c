"""The Double-DQN learner: learns a known optimum, keys, vmapping, chunking, config."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.dqn import DQN, DQNConfig, DQNHparams, validate_hparams
from agents.protocol import Learner, check_metrics
from jaxmarkets.execution.game import ExecutionGame
from sweeps.studies.execution.adapter import ExecutionGrid, dqn

SMALL = DQNConfig(
    train_iterations=20,
    test_iterations=4,
    log_every=10,
    memory_size=256,
    batch_size=16,
    n_actions=11,
)
HP = DQNHparams.make(eps_decay=0.9)


def make_learner(adapter, config):
    return DQN(adapter, ExecutionGrid(adapter.game), config)


@pytest.fixture(scope="module")
def duo():
    game = ExecutionGame(n_agents=2, n_steps=5)
    adapter, learner = dqn(game, SMALL)
    params = adapter.make_params(game.make_params(sigma=1e-3))
    return adapter, learner, params, jax.jit(learner.train)


def test_dqn_follows_the_learner_protocol_and_its_metrics_spec(duo):
    _, learner, params, _ = duo
    assert isinstance(learner, Learner)
    check_metrics(learner, params, HP, {"train": 10, "test": 3})
    carry = jax.eval_shape(learner.init, jax.random.key(0), params, HP)
    _, m = jax.eval_shape(lambda c: learner.train_chunk(c, params, HP, 10), carry)
    assert m["is"].shape == (1, 2) and m["volume"].shape == (1, 2, 5)


def _leaves(tree):
    def arr(x):
        return np.asarray(jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x)

    return [arr(x) for x in jax.tree.leaves(tree)]


def test_single_agent_without_permanent_impact_learns_twap():
    # With kappa = 0 and no noise, IS = alpha sum_t v_t^2 over sells summing to
    # q0: minimised by v_t = q0 / N (Cauchy-Schwarz), IS = alpha q0^2 / N = 2.
    game = ExecutionGame(n_agents=1, n_steps=10)
    config = DQNConfig(train_iterations=400, test_iterations=5, log_every=100, memory_size=2000)
    adapter, learner = dqn(game, config)
    params = adapter.make_params(game.make_params(kappa=0.0, sigma=0.0))
    hp = DQNHparams.make(lr=1e-3, eps_decay=0.98)
    out = jax.jit(learner.train)(jax.random.key(0), params, hp)
    twap_is = 0.002 * 100.0**2 / 10
    first_block_is = float(out["train"]["is"][0, 0])
    test_is = np.asarray(out["test"]["is"][:, 0])
    volumes = np.asarray(out["test"]["volume"][:, 0])  # [episodes, N]
    assert first_block_is > 1.3 * twap_is  # exploring, it was far from the optimum
    # tolerance: within 2% of the optimal cost, every step within one grid step (5 shares)
    assert np.all(test_is <= 1.02 * twap_is)
    assert np.all(np.abs(volumes - 10.0) <= 5.0 + 1e-4)
    np.testing.assert_allclose(volumes.sum(-1), 100.0, rtol=1e-5)


def test_one_seed_same_run_two_seeds_different(duo):
    _, _, params, train = duo
    hp = HP
    a = train(jax.random.key(1), params, hp)
    b = train(jax.random.key(1), params, hp)
    c = train(jax.random.key(2), params, hp)
    for x, y in zip(_leaves(a), _leaves(b)):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a["train"]["is"], c["train"]["is"])
    assert not np.allclose(_leaves(a["online"])[0], _leaves(c["online"])[0])


def test_vmapped_runs_equal_runs_one_at_a_time(duo):
    adapter, _, params, train = duo
    game = adapter.game
    sigmas = [1e-3, 1e-2, 1e-9]
    keys = jax.random.split(jax.random.key(3), 3)
    batch_params = jax.tree.map(
        lambda *xs: jnp.stack(xs), *[adapter.make_params(game.make_params(sigma=s)) for s in sigmas]
    )
    lrs = jnp.array([1e-4, 3e-4, 1e-3])
    hp = HP
    batch_hp = jax.tree.map(lambda x: jnp.broadcast_to(x, (3,)), hp.replace(lr=lrs))
    batched = jax.jit(jax.vmap(train))(keys, batch_params, batch_hp)
    for i in range(3):
        one = train(keys[i], jax.tree.map(lambda x: x[i], batch_params), hp.replace(lr=lrs[i]))
        for x, y in zip(_leaves(one), _leaves(jax.tree.map(lambda x: x[i], batched))):
            np.testing.assert_allclose(x, y, rtol=2e-4, atol=1e-5)


def test_padded_network_trains_like_the_unpadded_one(duo):
    # The hidden layers are stored padded from 30 to 32 units (agents/networks.py);
    # a learner with no padding is the independent reference. They differ by
    # rounding only, and the padded entries are still exactly zero after training.
    adapter, learner, params, _ = duo
    assert learner.config.pad_to == 8
    hp = HP
    key = jax.random.key(5)
    carry = jax.jit(learner.init)(key, params, hp)
    carry, m_padded = jax.jit(learner.train_chunk, static_argnums=3)(carry, params, hp, 20)
    plain = make_learner(adapter, dataclasses.replace(SMALL, pad_to=1))
    ref = jax.jit(plain.init)(key, params, hp)
    ref, m_plain = jax.jit(plain.train_chunk, static_argnums=3)(ref, params, hp, 20)
    padded_leaves = _leaves(carry.online)
    for x, y in zip(_leaves(learner.net.true_params(carry.online)), _leaves(ref.online)):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m_padded["is"], m_plain["is"], rtol=1e-5)
    kernel = padded_leaves[[x.shape for x in padded_leaves].index((2, 32, 32))]
    assert np.all(kernel[:, 30:, :] == 0) and np.all(kernel[:, :, 30:] == 0)
    assert np.any(kernel[:, :30, :30] != 0)


def test_chunks_resume_to_the_same_run(duo):
    _, learner, params, _ = duo
    hp = HP
    init = jax.jit(learner.init)
    chunk = jax.jit(learner.train_chunk, static_argnums=3)
    carry = init(jax.random.key(4), params, hp)
    whole, m_whole = chunk(carry, params, hp, 20)
    half, m1 = chunk(carry, params, hp, 10)
    half, m2 = chunk(half, params, hp, 10)
    for x, y in zip(_leaves(whole), _leaves(half)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(m_whole["is"], np.concatenate([m1["is"], m2["is"]]))
    # epsilon after k actions is c^floor(k / m), logged at the end of each episode
    # (5 steps) and averaged over blocks of 10 episodes; m = 75
    expected = [np.mean([0.9 ** (5 * e // 75) for e in range(b * 10 + 1, b * 10 + 11)]) for b in (0, 1)]
    np.testing.assert_allclose(m_whole["epsilon"], expected, rtol=1e-6)
    # the memory holds every transition so far (100 < 256, no halving yet)
    np.testing.assert_array_equal(np.asarray(whole.memory.size), [100, 100])


def test_fixed_agent_plays_its_policy(duo):
    adapter, _, params, _ = duo
    config = dataclasses.replace(SMALL, fixed_agents=(1,))
    out = jax.jit(make_learner(adapter, config).train)(jax.random.key(5), params, HP)
    nash = np.asarray(params.nash[1])
    volumes = np.asarray(out["test"]["volume"][:, 1])
    np.testing.assert_allclose(volumes, np.broadcast_to(nash, (4, 5)), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(batch_size=300, memory_size=256), "batch_size"),
        (dict(n_actions=1), "n_actions"),
        (dict(head="dueling"), "head"),
        (dict(train_iterations=25), "train_iterations"),
        (dict(fixed_agents=(2,)), "fixed_agents"),
    ],
)
def test_bad_config_is_a_clear_error_before_compiling(duo, change, field):
    adapter = duo[0]
    with pytest.raises(ValueError, match=field):
        make_learner(adapter, dataclasses.replace(SMALL, **change))


@pytest.mark.parametrize(
    "change, field",
    [(dict(lr=0.0), "lr"), (dict(lr=-1e-3), "lr"), (dict(eps_decay=0.0), "eps_decay"),
     (dict(eps_decay=1.5), "eps_decay"), (dict(gamma=1.2), "gamma")],
)
def test_bad_hparams_are_a_clear_error(change, field):
    with pytest.raises(ValueError, match=field):
        validate_hparams(DQNHparams.make(**change))


def test_batch_of_hparams_is_validated_whole():
    hp = DQNHparams(
        lr=jnp.array([1e-4, -1.0]), gamma=jnp.array(1.0), eps_start=jnp.array(1.0),
        eps_decay=jnp.array([0.99, 0.9]),
    )
    with pytest.raises(ValueError, match="lr"):
        validate_hparams(hp)
