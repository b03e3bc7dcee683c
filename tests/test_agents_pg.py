"""Policy-gradient learners (agents/pg.py, agents/policy.py): matrix games with
known equilibria, the execution game's known optimum, keys, vmapping, chunks,
the distributions, and validation."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from agents.dqn import DQN, DQNConfig, DQNHparams, QActionGrid
from agents.pg import PGConfig, PGHparams, PolicyGradient, gae, validate_hparams
from agents.policy import DiscreteActions, LogitNormal, UnitIntervalActions
from agents.protocol import Learner, check_metrics
from helpers.toy_games import MatrixGame, nash_conv
from jaxmarkets.execution.game import ExecutionGame
from sweeps.studies.execution.adapter import policy_gradient

# Zero-sum "asymmetric matching pennies": no pure equilibrium; the unique one has
# both players choose action 1 with probability 0.6 (each makes the other
# indifferent: 2 - 3q = 2q - 1 and 3p - 2 = 1 - 2p). Any pure profile has
# NashConv >= 2, the uniform policy 0.5.
PENNIES = np.array([[[2, -1], [-1, 1]], [[-2, 1], [1, -1]]], np.float32)
# Row's action 0 strictly dominates; against it the column's action 1 is the strict
# best response: the unique equilibrium is the strict, pure (0, 1).
DOMINANCE = np.array([[[3, 1], [2, 0]], [[0, 2], [3, 1]]], np.float32)

MATRIX = PGConfig(normalize_advantages=False, episodes=64, hidden=16, n_layers=1,
                  train_iterations=1000, test_iterations=1, log_every=10)
MATRIX_HP = PGHparams.make(lr=1e-4, entropy_coef=0.05)


def _leaves(tree):
    def arr(x):
        return np.asarray(jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x)

    return [arr(x) for x in jax.tree.leaves(tree)]


def _p1(train_metrics):
    """P(action 1) of both players per logged block [blocks, 2]."""
    return np.asarray(train_metrics["probs"][..., 1], np.float64)


@pytest.fixture(scope="module")
def matrix():
    """Independent PPO on 2x2 games, `run` = init and 1000 updates in one call: one
    program for single runs, one vmapped over three runs (pennies, dominance,
    pennies with another seed and other hparams)."""
    learner = PolicyGradient(MatrixGame(), DiscreteActions(2), MATRIX)

    def run(key, payoffs, hp):
        return learner.train_chunk(learner.init(key, payoffs, hp), payoffs, hp, MATRIX.train_iterations)

    keys = jax.random.split(jax.random.key(0), 3)
    payoffs = jnp.asarray(np.stack([PENNIES, DOMINANCE, PENNIES]))
    hp = PGHparams.make(lr=[1e-4, 1e-4, 3e-4], entropy_coef=[0.05, 0.05, 0.01])
    hp = jax.tree.map(lambda x: jnp.broadcast_to(x, (3,)), hp)
    batched = jax.jit(jax.vmap(run))(keys, payoffs, hp)
    return learner, jax.jit(run), (keys, payoffs, hp), batched


def test_pg_follows_the_learner_protocol_and_its_metrics_spec(matrix):
    learner = matrix[0]
    hp = learner.default_hparams()
    assert isinstance(learner, Learner)
    check_metrics(learner, jnp.asarray(PENNIES), hp, {"train": 10, "test": 1})
    game = ExecutionGame(n_agents=2, n_steps=4)
    adapter, continuous = policy_gradient(game, dataclasses.replace(MATRIX, hidden=8))
    params = adapter.make_params(game.make_params())
    check_metrics(continuous, params, hp, {"train": 10, "test": 1})
    _, m = jax.eval_shape(lambda c: continuous.train_chunk(c, params, hp, 20),
                          jax.eval_shape(continuous.init, jax.random.key(0), params, hp))
    assert m["is"].shape == (2, 2) and m["volume"].shape == (2, 2, 4) and m["median"].shape == (2, 2)


def test_time_averaged_ppo_policy_is_near_the_mixed_equilibrium(matrix):
    p = _p1(jax.tree.map(lambda x: x[0], matrix[3][1]))  # pennies, seed 0
    average, last = p.mean(0), p[-1]
    start, avg_gap, last_gap = nash_conv(PENNIES, 0.5, 0.5), nash_conv(PENNIES, *average), nash_conv(PENNIES, *last)
    swing = np.abs(p[len(p) // 2:] - 0.6).max()
    print(f"\nmatching pennies, 1000 PPO updates: NashConv uniform {start:.2f}, time-averaged policy "
          f"{np.round(average, 3)} -> {avg_gap:.3f}; last iterate {np.round(last, 3)} -> {last_gap:.3f}, "
          f"largest distance from 0.6 over the second half {swing:.2f}")
    assert start == pytest.approx(0.5)
    # Independent PPO circles the equilibrium (the last iterate does not settle);
    # its time average ends within 0.1 of zero exploitability (six seeds gave 0.017-0.061).
    assert avg_gap < 0.1
    # last iterate, asserted loosely: still mixed, not stuck at a pure profile (NashConv >= 2)
    assert np.all((last > 0.05) & (last < 0.95)) and last_gap < 1.0


def test_ppo_and_dqn_reach_the_strict_pure_equilibrium(matrix):
    ppo = _p1(jax.tree.map(lambda x: x[1], matrix[3][1]))[-1]  # dominance
    dqn_cfg = DQNConfig(n_layers=1, hidden=16, n_actions=2, head="action_out", batch_size=16,
                        memory_size=200, eps_every=10, target_every=10, train_iterations=300,
                        test_iterations=20, log_every=10)
    dqn = DQN(MatrixGame(), QActionGrid(), dqn_cfg)
    greedy = np.asarray(jax.jit(dqn.train)(jax.random.key(1), jnp.asarray(DOMINANCE),
                                           DQNHparams.make(lr=1e-3, eps_decay=0.95))["test"]["choice"])
    print(f"\nstrict equilibrium (0, 1): PPO's last P(action 1) = {np.round(ppo, 4)}, "
          f"DQN's greedy choices {greedy.mean(0)}")
    assert ppo[0] < 0.05 and ppo[1] > 0.95
    assert nash_conv(DOMINANCE, *ppo) < 0.1
    np.testing.assert_array_equal(greedy, np.broadcast_to([0.0, 1.0], greedy.shape))


def test_one_seed_same_run_two_seeds_different(matrix):
    _, run, _, _ = matrix
    pay = jnp.asarray(PENNIES)
    a, b, c = (run(jax.random.key(k), pay, MATRIX_HP) for k in (1, 1, 2))
    for x, y in zip(_leaves(a), _leaves(b)):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[1]["probs"], c[1]["probs"])
    assert not np.allclose(_leaves(a[0].net)[0], _leaves(c[0].net)[0])


def test_vmapped_runs_equal_runs_one_at_a_time(matrix):
    _, run, (keys, payoffs, hp), batched = matrix
    for i in range(3):
        pick = lambda tree: jax.tree.map(lambda x: x[i], tree)  # noqa: E731
        one = run(keys[i], payoffs[i], pick(hp))
        for x, y in zip(_leaves(one), _leaves(pick(batched))):
            np.testing.assert_allclose(x, y, rtol=2e-4, atol=1e-5)


def test_chunks_resume_to_the_same_run(matrix):
    learner, run, _, _ = matrix
    pay = jnp.asarray(PENNIES)
    chunk = jax.jit(learner.train_chunk, static_argnums=3)
    carry = jax.jit(learner.init)(jax.random.key(4), pay, MATRIX_HP)
    carry, m1 = chunk(carry, pay, MATRIX_HP, 500)
    carry, m2 = chunk(carry, pay, MATRIX_HP, 500)
    whole, m_whole = run(jax.random.key(4), pay, MATRIX_HP)  # 1000 updates in one call
    for x, y in zip(_leaves(whole), _leaves(carry)):  # keys, networks, Adam states, counts
        np.testing.assert_array_equal(x, y)
    for name in m_whole:
        np.testing.assert_array_equal(m_whole[name], np.concatenate([m1[name], m2[name]]))
    assert int(carry.count) == 1000


def test_single_ppo_agent_without_permanent_impact_learns_twap():
    # With kappa = 0 and no noise, IS = alpha sum_t v_t^2 over sells summing to
    # q0: minimised by v_t = q0 / N (Cauchy-Schwarz), IS = alpha q0^2 / N = 4.
    game = ExecutionGame(n_agents=1, n_steps=5)
    config = PGConfig(episodes=64, hidden=16, n_layers=1, train_iterations=200, test_iterations=1,
                      log_every=20, test_policy="deterministic")
    adapter, learner = policy_gradient(game, config)
    params = adapter.make_params(game.make_params(kappa=0.0, sigma=0.0))
    out = jax.jit(learner.train)(jax.random.key(0), params, PGHparams.make(lr=3e-3, entropy_coef=0.0))
    twap_is = 0.002 * 100.0**2 / 5
    first_block_is = float(out["train"]["is"][0, 0])
    test_is = float(out["test"]["is"][0, 0])
    volumes = np.asarray(out["test"]["volume"][0, 0])
    print(f"\nPPO TWAP: first block IS {first_block_is:.3f}, test IS {test_is:.4f} (optimum {twap_is}), "
          f"sells {np.round(volumes, 2)}")
    assert first_block_is > 1.05 * twap_is  # the initial policy (median fraction 1/2) was far off
    # tolerance: the median policy within 1% of the optimal cost (seeds 0-2 gave 0.15-0.75%),
    # which allows any one step to be off by at most sqrt(0.01 IS / alpha) = 4.5 shares
    assert test_is <= 1.01 * twap_is
    assert np.all(np.abs(volumes - 20.0) <= 4.5)
    np.testing.assert_allclose(volumes.sum(), 100.0, rtol=1e-5)


# ---------------------------------------------------------------- pieces


def test_gae_matches_a_hand_computation():
    # two steps, one agent, one episode; gamma 0.9, lambda 0.5, then a truncation
    r, v, last = np.array([1.0, 2.0]), np.array([0.5, 1.0]), 3.0
    d1 = 2.0 + 0.9 * 3.0 - 1.0
    d0 = 1.0 + 0.9 * 1.0 - 0.5
    run = jax.jit(gae)
    adv, target = run(jnp.asarray(r)[:, None], jnp.asarray(v)[:, None], jnp.asarray([last]),
                      jnp.zeros((2, 1)), 0.9, 0.5)
    np.testing.assert_allclose(np.asarray(adv)[:, 0], [d0 + 0.45 * d1, d1], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(target)[:, 0], [d0 + 0.45 * d1 + 0.5, d1 + 1.0], rtol=1e-6)
    # terminated at the first step: no bootstrap and no credit from later steps
    adv, _ = run(jnp.asarray(r)[:, None], jnp.asarray(v)[:, None], jnp.asarray([last]),
                 jnp.asarray([[1.0], [0.0]]), 0.9, 0.5)
    np.testing.assert_allclose(float(adv[0, 0]), 1.0 - 0.5, rtol=1e-6)


def test_logit_normal_density_entropy_and_samples():
    loc, scale = np.array([-1.5, 0.0, 2.0]), np.array([0.3, 1.0, 2.0])
    u = np.array([0.1, 0.5, 0.97])

    @jax.jit
    def evaluate(loc, scale, u):
        dist = LogitNormal(loc, scale)
        return dist.log_prob(u), dist.entropy(), dist.sample(seed=jax.random.key(0), sample_shape=4000)

    log_prob, entropy, samples = (np.asarray(x) for x in evaluate(loc, scale, u))
    z = np.log(u / (1 - u))
    by_hand = -0.5 * ((z - loc) / scale) ** 2 - np.log(scale * np.sqrt(2 * np.pi)) - np.log(u * (1 - u))
    np.testing.assert_allclose(log_prob, by_hand, rtol=1e-4)

    def quadrature_entropy(m, s):  # -E[log p(U)], integrated over the logit x of U
        def integrand(x):
            log_p = -0.5 * ((x - m) / s) ** 2 - np.log(s * np.sqrt(2 * np.pi)) + np.logaddexp(0, x) + np.logaddexp(0, -x)
            return -np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi)) * log_p

        return integrate.quad(integrand, m - 12 * s, m + 12 * s, limit=200)[0]

    np.testing.assert_allclose(entropy, [quadrature_entropy(m, s) for m, s in zip(loc, scale)], atol=2e-3)
    assert samples.min() > 0.0 and samples.max() < 1.0
    np.testing.assert_allclose(np.median(samples, 0), 1 / (1 + np.exp(-loc)), atol=0.03)


def test_unit_interval_head_is_bounded_and_starts_at_its_spread():
    @jax.jit
    def spread(head):
        dist = UnitIntervalActions().distribution(head, None)
        return dist.loc, dist.scale, dist.log_prob(dist.sample(seed=jax.random.key(1)))

    loc, scale, log_prob = spread(jnp.asarray([[0.0, 0.0], [1e4, -1e4]]))
    np.testing.assert_allclose(np.asarray(scale), [0.5, 1e-3], rtol=1e-4)
    assert float(loc[1]) == pytest.approx(6.0, rel=1e-6)
    assert np.all(np.isfinite(np.asarray(log_prob)))


def test_categorical_mask_forbids_actions():
    class OnlyLast(DiscreteActions):
        def mask(self, obs):
            return jnp.arange(self.n_actions) == self.n_actions - 1

    @jax.jit
    def draw(head):
        dist = OnlyLast(3).distribution(head, jnp.zeros((500, 1)))
        return dist.sample(seed=jax.random.key(0)), dist.probs[0]

    samples, probs = draw(jnp.zeros((500, 3)))
    np.testing.assert_array_equal(np.asarray(samples), 2)
    np.testing.assert_allclose(np.asarray(probs), [0.0, 0.0, 1.0])


def test_feature_major_mlp_is_the_plain_dense_network(matrix):
    # the networks of a trained run, against a plain NumPy MLP on their parameters
    learner, _, _, batched = matrix
    net = jax.tree.map(lambda x: x[0, 1], batched[0].net)  # run 0, agent 1
    obs = np.asarray(jax.random.normal(jax.random.key(0), (4, 7, 1)))
    _, head, value = jax.jit(learner.net.apply)(net, (), obs)
    for name, got in (("actor", head), ("critic", value[..., None])):
        layers = net["params"][name]
        h = obs.astype(np.float64)
        for i in range(len(layers)):
            h = h @ np.asarray(layers[f"Dense_{i}"]["kernel"]) + np.asarray(layers[f"Dense_{i}"]["bias"])
            h = np.tanh(h) if i < len(layers) - 1 else h
        np.testing.assert_allclose(np.asarray(got), h, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(learner="a2c"), "learner"),
        (dict(cell="rnn"), "cell"),
        (dict(episodes=0), "episodes"),
        (dict(episodes=8, minibatches=16), "minibatches"),
        (dict(episodes=8, minibatches=3), "minibatches"),
        (dict(epochs=0), "epochs"),
        (dict(learner="reinforce", epochs=4), "epochs"),
        (dict(hidden=0), "hidden"),
        (dict(train_iterations=25, log_every=10), "train_iterations"),
        (dict(test_policy="greedy"), "test_policy"),
    ],
)
def test_bad_config_is_a_clear_error_before_compiling(change, field):
    with pytest.raises(ValueError, match=field):
        PolicyGradient(MatrixGame(), DiscreteActions(2), dataclasses.replace(MATRIX, **change))


@pytest.mark.parametrize(
    "change, field",
    [(dict(lr=0.0), "lr"), (dict(lr=-1e-3), "lr"), (dict(clip=0.0), "clip"),
     (dict(gae_lambda=1.5), "gae_lambda"), (dict(gae_lambda=-0.1), "gae_lambda"),
     (dict(gamma=1.2), "gamma"), (dict(max_grad_norm=0.0), "max_grad_norm"),
     (dict(entropy_coef=-0.1), "entropy_coef"), (dict(value_coef=-1.0), "value_coef")],
)
def test_bad_hparams_are_a_clear_error(change, field):
    with pytest.raises(ValueError, match=rf"{field} = .* allowed range"):
        validate_hparams(PGHparams.make(**change))


def test_batch_of_hparams_is_validated_whole():
    with pytest.raises(ValueError, match="gae_lambda"):
        validate_hparams(PGHparams.make(gae_lambda=[0.9, 1.1]))


# Symmetric anti-coordination (hawk-dove-like): own action i against the other's
# j pays CHICKEN[i, j]; the best reply to 0 is 1 and to 1 is 0, and the symmetric
# mixed equilibrium plays action 1 with probability 1/3 (2 (1 - p1) = p1 ... at
# own 0: 2 P(other 1); own 1: P(other 0); equal iff P(1) = 1/3).
CHICKEN = np.array([[0.0, 2.0], [1.0, 0.0]], np.float32)


def test_shared_policy_is_symmetric_self_play_and_finds_the_mixed_equilibrium():
    """Independent learners in a symmetric anti-coordination game break the
    symmetry; one shared network must stay one (every agent's copy equal) and,
    as a single population, settle at the symmetric mixed equilibrium."""
    payoffs = jnp.asarray(np.stack([CHICKEN, CHICKEN.T]))
    config = dataclasses.replace(MATRIX, shared=True, train_iterations=600, log_every=20)
    learner = PolicyGradient(MatrixGame(), DiscreteActions(2), config)
    hp = PGHparams.make(lr=1e-3, entropy_coef=0.0)
    run = jax.jit(jax.vmap(lambda k: learner.train_chunk(learner.init(k, payoffs, hp), payoffs, hp, 600)))
    carry, metrics = run(jax.random.split(jax.random.key(3), 4))
    for leaf in _leaves(carry.net):
        np.testing.assert_array_equal(leaf[:, 0], leaf[:, 1])
    p1 = _p1(metrics)  # [runs, blocks, 2]
    np.testing.assert_array_equal(p1[..., 0], p1[..., 1])
    late = p1[:, -5:, 0].mean(1)
    print(f"\nshared PPO, chicken: P(action 1) over the last 100 updates {np.round(late, 3)} (mixed 1/3)")
    assert np.all(np.abs(late - 1 / 3) < 0.06)


def test_shared_update_of_one_agent_is_the_independent_update():
    """With one agent the pooled batch is that agent's batch: bit-identical runs."""
    from helpers.toy_games import CueGame

    base = PGConfig(episodes=16, hidden=8, n_layers=1, train_iterations=5, test_iterations=1)
    hp = PGHparams.make(lr=1e-3)
    outs = []
    for shared in (False, True):
        learner = PolicyGradient(CueGame(3), DiscreteActions(2), dataclasses.replace(base, shared=shared))
        carry, _ = jax.jit(lambda k: learner.train_chunk(learner.init(k, None, hp), None, hp, 5))(jax.random.key(1))
        outs.append(_leaves(carry.net))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
