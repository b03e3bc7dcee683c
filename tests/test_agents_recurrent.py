"""Recurrent learners (agents/recurrent_dqn.py, the PG learners' cell): a memory
task that needs them, keys, chunks, and validation. (Vmapped runs equal single
runs: tests/test_agents_pg.py and tests/test_agents_dqn.py; the recurrent
learner adds nothing there but its episode function, whose keys and chunks are
tested here.)"""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.cells import scaled_normal
from agents.dqn import DQN, DQNConfig, DQNHparams, QActionGrid
from agents.pg import PGConfig, PGHparams, PolicyGradient
from agents.policy import DiscreteActions
from agents.protocol import Learner, check_metrics
from agents.recurrent_dqn import RecurrentDQN, RecurrentDQNConfig
from helpers.toy_games import CueGame
from jaxmarkets.execution.game import ExecutionGame
from sweeps.studies.execution.adapter import ExecutionGameAdapter, ExecutionGrid

# The cue is shown at step 0 of 4, the reward paid at step 3: only memory helps.
GAME = CueGame(n_steps=4)
Q_SIZES = dict(n_layers=2, hidden=16, n_actions=2, head="action_out", eps_every=20, target_every=20,
               train_iterations=300, test_iterations=100, log_every=10)
RDQN = RecurrentDQNConfig(cell="gru", batch_size=16, memory_size=500, updates_per_episode=1, **Q_SIZES)
DQN_HP = DQNHparams.make(lr=1e-3, eps_decay=0.95)


def _leaves(tree):
    def arr(x):
        return np.asarray(jax.random.key_data(x) if jnp.issubdtype(x.dtype, jax.dtypes.prng_key) else x)

    return [arr(x) for x in jax.tree.leaves(tree)]


@pytest.fixture(scope="module")
def rdqn():
    """The recurrent learner on the memory task, compiled once; three seeds."""
    learner = RecurrentDQN(GAME, QActionGrid(), RDQN)
    train = jax.jit(learner.train)
    keys = jax.random.split(jax.random.key(0), 3)
    return learner, train, keys, [train(k, None, DQN_HP) for k in keys]


def test_memory_task_recurrent_learners_solve_it_feed_forward_dqn_stays_at_chance(rdqn):
    # independent values: chance is 1/2 (the last observation is the same for both
    # cues and the greedy policy is deterministic); remembering the cue scores 1
    recurrent = np.asarray([run["test"]["correct"] for run in rdqn[3]]).mean(1)  # 3 seeds x 100 greedy episodes
    ff_learner = DQN(GAME, QActionGrid(), DQNConfig(batch_size=32, memory_size=1000, **Q_SIZES))
    feed_forward = float(np.asarray(jax.jit(ff_learner.train)(jax.random.key(0), None, DQN_HP)
                                    ["test"]["correct"]).mean())
    pg_config = PGConfig(learner="reinforce", cell="lstm", episodes=32, hidden=16, n_layers=1,
                         train_iterations=150, test_iterations=4, log_every=10)
    pg = PolicyGradient(GAME, DiscreteActions(2), pg_config)
    pg_out = jax.jit(pg.train)(jax.random.key(0), None, PGHparams.make(lr=3e-3, entropy_coef=0.01))
    recurrent_pg = float(np.asarray(pg_out["test"]["correct"]).mean())  # 4 x 32 sampled episodes
    print(f"\nmemory task, share of correct last actions: feed-forward DQN {feed_forward:.2f}, "
          f"recurrent DQN (GRU, 3 seeds) {np.round(recurrent, 2)}, recurrent REINFORCE (LSTM) {recurrent_pg:.2f}")
    assert abs(feed_forward - 0.5) <= 0.15  # 100 episodes: sd 0.05 around 1/2
    assert np.all(recurrent >= 0.95)
    assert recurrent_pg >= 0.95


def test_recurrent_dqn_follows_the_learner_protocol_and_its_metrics_spec(rdqn):
    learner = rdqn[0]
    assert isinstance(learner, Learner)
    check_metrics(learner, None, DQN_HP, {"train": 10, "test": 3})
    # the execution game plugs in through its Q-grid, as for the feed-forward learner
    game = ExecutionGame(n_agents=2, n_steps=5)
    adapter = ExecutionGameAdapter(game)
    config = RecurrentDQNConfig(cell="lstm", n_actions=11, train_iterations=20, log_every=10, burn_in=2)
    execution = RecurrentDQN(adapter, ExecutionGrid(game), config)
    params = adapter.make_params(game.make_params())
    check_metrics(execution, params, DQN_HP, {"train": 10, "test": 3})
    _, m = jax.eval_shape(lambda c: execution.train_chunk(c, params, DQN_HP, 10),
                          jax.eval_shape(execution.init, jax.random.key(0), params, DQN_HP))
    assert m["is"].shape == (1, 2) and m["loss"].shape == (1, 2)


def test_one_seed_same_run_two_seeds_different(rdqn):
    _, train, keys, runs = rdqn
    again = train(keys[0], None, DQN_HP)
    for x, y in zip(_leaves(runs[0]), _leaves(again)):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(_leaves(runs[0]["online"])[0], _leaves(runs[1]["online"])[0])
    assert not np.allclose(runs[0]["train"]["loss"], runs[1]["train"]["loss"])


def test_chunks_resume_to_the_same_run(rdqn):
    learner, _, keys, runs = rdqn
    chunk = jax.jit(learner.train_chunk, static_argnums=3)
    carry = jax.jit(learner.init)(keys[0], None, DQN_HP)
    carry, m1 = chunk(carry, None, DQN_HP, 150)
    carry, m2 = chunk(carry, None, DQN_HP, 150)
    whole = runs[0]  # 300 episodes in one call, then greedy tests
    for x, y in zip(_leaves(whole["online"]), _leaves(carry.online)):
        np.testing.assert_array_equal(x, y)
    for name in whole["train"]:
        np.testing.assert_array_equal(whole["train"][name], np.concatenate([m1[name], m2[name]]))
    # replay holds whole episodes: 300 of them (< 500, no halving yet)
    np.testing.assert_array_equal(np.asarray(carry.memory.size), [300])
    assert carry.memory.data.obs.shape == (1, 500, 5, 2)  # [agents, episodes, steps + 1, features]


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(cell="rnn"), "cell"),
        (dict(burn_in=4), "burn_in"),
        (dict(burn_in=-1), "burn_in"),
        (dict(n_layers=1), "n_layers"),
        (dict(batch_size=600), "batch_size"),
        (dict(updates_per_episode=-1), "updates_per_episode"),
    ],
)
def test_bad_config_is_a_clear_error_before_compiling(change, field):
    with pytest.raises(ValueError, match=field):
        RecurrentDQN(GAME, QActionGrid(), dataclasses.replace(RDQN, **change))


@pytest.mark.parametrize("cell", ["none", "gru", "lstm"])
def test_learner_init_programs_hold_no_lapack_call(cell):
    # An orthogonal draw is a LAPACK QR custom call on XLA:CPU, and two at once in
    # a program sharded over the host's devices deadlocked; the learners'
    # initialisers must avoid it (agents.cells.INIT_WITHOUT_LAPACK).
    pg = PolicyGradient(GAME, DiscreteActions(2), PGConfig(cell=cell, episodes=4, hidden=8, n_layers=1))
    programs = [jax.jit(pg.init).lower(jax.random.key(0), None, PGHparams.make()).as_text()]
    if cell != "none":
        rdqn = RecurrentDQN(GAME, QActionGrid(), dataclasses.replace(RDQN, cell=cell))
        programs.append(jax.jit(rdqn.init).lower(jax.random.key(0), None, DQN_HP).as_text())
    for text in programs:
        assert "lapack" not in text.lower()


@pytest.mark.parametrize("shape", [(128, 128), (1, 512), (512, 2)])
def test_scaled_normal_has_the_orthogonal_entry_scale(shape):
    ours = np.asarray(scaled_normal(2.0)(jax.random.key(1), shape))
    orthogonal = np.asarray(nn.initializers.orthogonal(2.0)(jax.random.key(1), shape))
    # both: mean 0, entry variance g^2 / max(shape), here 4 / max(shape)
    assert ours.var() == pytest.approx(orthogonal.var(), rel=0.1)
    assert ours.var() == pytest.approx(4.0 / max(shape), rel=0.1)
    assert abs(ours.mean()) < 0.1 * ours.std()
