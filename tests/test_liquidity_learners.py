"""The shared learners (agents/: PPO, DQN) in repeated play of the liquidity game,
through `sweeps/studies/liquidity/adapter.py`: the adapter pays what the stage
game's matrices say, PPO makers reach a unique strict equilibrium, and a vmapped
batch of seeds is the same as the seeds run one at a time."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.equilibria import Bimatrix, bimatrix_equilibria, nash_conv
from jaxmarkets.liquidity.game import LiquidityGame, LiquidityState
from sweeps.studies.liquidity.adapter import (
    LearnerPlay,
    LiquidityActions,
    LiquidityAdapter,
    LiquidityGrid,
    active_mask,
    batched_learner_run,
    role_observations,
)

# The paper's Section 4.2 matrices typed from the text, (u1, u2) indexed
# [player 2's type][player 1's action][player 2's action], actions low = 0, high = 1.
PAPER = {0: {(1, 1): (10, 10), (1, 0): (0, 0), (0, 1): (6, 6), (0, 0): (5, 5)},  # "a type": large
         1: {(1, 1): (0, 0), (1, 0): (0, 0), (0, 1): (5, 4), (0, 0): (0, 0)}}  # "b type": small


def _sizes_payoff(a1, a2, t1, t2, holding, B):
    """Section 3's rule by hand: sizes a + 1, a small maker's capped at its holding,
    the initiator's parcel trades if the responder's is at least as large."""
    s1 = min(a1 + 1, holding) if t1 == 1 else a1 + 1
    s2 = min(a2 + 1, holding) if t2 == 1 else a2 + 1
    return (s1, s1) if s1 <= s2 else (0, 0)


def _one_round(adapter, types, initiator, responder, a_init, a_resp, params, stackelberg):
    """Rewards of one round between two makers from the policies' samples, through
    the action object and the adapter (two steps in the Stackelberg form)."""
    N = adapter.n_agents
    state = LiquidityState(t=jnp.zeros((), jnp.int32), types=types, initiator=initiator,
                           responder=responder, committed=jnp.full((), -1, jnp.int32))
    sample = jnp.zeros(N, jnp.int32).at[initiator].set(a_init).at[responder].set(a_resp)
    acts = LiquidityActions(adapter.game).env_action(sample, state, params)
    key = jax.random.key(0)
    out = adapter.step(state, acts, key, params)
    if stackelberg:  # the commitment pays nothing; the answer trades
        first = out
        out = adapter.step(out.state, acts, key, params)
        return out.rewards, out.info["role_reward"], first.rewards
    return out.rewards, out.info["role_reward"], jnp.zeros(N)


@pytest.mark.parametrize("model, form, n_actions", [("printed", "simultaneous", 2), ("printed", "stackelberg", 2),
                                                     ("sizes", "simultaneous", 3)])
def test_adapter_rewards_are_the_stage_game_entry_by_entry(model, form, n_actions):
    game = LiquidityGame(n_makers=3, n_actions=n_actions, model=model, form=form, n_rounds=1)
    adapter = LiquidityAdapter(game)
    scale = 2.5
    gp = game.make_params(scale=scale)
    A = n_actions
    grid = np.array([(t1, t2, a1, a2) for t1 in (0, 1) for t2 in (0, 1) for a1 in range(A) for a2 in range(A)])
    # maker 2 initiates, maker 0 responds, maker 1 sits the round out
    f = jax.jit(jax.vmap(lambda t1, t2, a1, a2: _one_round(
        adapter, jnp.stack([t2, 0, t1]).astype(jnp.int32), 2, 0, a1, a2,
        adapter.make_params(gp, jnp.stack([t2, 0, t1])), form == "stackelberg")))
    rewards, role_reward, first = (np.asarray(x) for x in f(*grid.T))
    for k, (t1, t2, a1, a2) in enumerate(grid):
        if model == "printed":
            u1, u2 = PAPER[t2][(a1, a2)]
        else:
            u1, u2 = _sizes_payoff(a1, a2, t1, t2, holding=1, B=A)
        np.testing.assert_allclose(rewards[k], [scale * u2, 0.0, scale * u1], rtol=1e-6, err_msg=str((t1, t2, a1, a2)))
        np.testing.assert_allclose(role_reward[k], [[0, scale * u2], [0, 0], [scale * u1, 0]], rtol=1e-6)
        np.testing.assert_array_equal(first[k], 0.0)


def test_idle_makers_are_masked_and_the_grid_is_one_feature_per_action():
    game = LiquidityGame(n_makers=3, n_actions=3, model="sizes", form="stackelberg", n_rounds=2)
    obs = jax.jit(role_observations, static_argnums=0)(game, jnp.asarray([0, 1, 0]))  # [N, 2, C, S, d]
    assert obs.shape == (3, 2, 3, 2, 6)
    # every role observation is one where the maker acts
    assert bool(jnp.all(active_mask(obs, "stackelberg")))
    # at a commitment step only the initiator acts, at the answer only the responder
    state = LiquidityState(t=jnp.asarray(0), types=jnp.asarray([0, 1, 0]), initiator=jnp.asarray(1),
                           responder=jnp.asarray(2), committed=jnp.asarray(-1))
    np.testing.assert_array_equal(active_mask(game.observe(state), "stackelberg"), [False, True, False])
    np.testing.assert_array_equal(active_mask(game.observe(state._replace(committed=jnp.asarray(2))),
                                              "stackelberg"), [False, False, True])
    mask = LiquidityActions(game).mask(game.observe(state))
    np.testing.assert_array_equal(mask, [[1, 0, 0], [1, 1, 1], [1, 0, 0]])
    grid = LiquidityGrid(game)
    feats = jnp.linspace(-1.0, 1.0, 3)
    np.testing.assert_array_equal(np.floor(grid.env_action(feats, None, None)), [0, 1, 2])
    # exploration from standard normals is a uniform action
    z = jax.random.normal(jax.random.key(1), (30000,))
    counts = np.bincount(np.floor(grid.env_action(grid.explore(z, 0, None, None), None, None)).astype(int), minlength=3)
    np.testing.assert_allclose(counts / z.size, 1 / 3, atol=0.015)


def test_learner_play_refuses_bad_sizes_before_compiling():
    game = LiquidityGame(n_rounds=1)
    with pytest.raises(InputError, match="record_every"):
        LearnerPlay(game, "ppo", updates=10, record_every=3)
    with pytest.raises(InputError, match="learner"):
        LearnerPlay(game, "sarsa")
    with pytest.raises(InputError, match="minibatches"):
        LearnerPlay(game, "ppo", pg=dataclasses.replace(LearnerPlay.pg, episodes=6), episodes_per_maker=None)
    with pytest.raises(InputError, match="minibatches"):  # 3 x 2 episodes, 4 minibatches
        LearnerPlay(game, "ppo", episodes_per_maker=3)
    with pytest.raises(InputError, match="episodes_per_maker"):
        LearnerPlay(game, "ppo", episodes_per_maker=0)


# Both makers large (prior 1): every round is the "a type" game, whose unique
# equilibrium is the strict (high, high). 60 PPO updates of 32 one-round episodes.
PLAY = LearnerPlay(LiquidityGame(n_makers=2, n_rounds=1), "ppo", updates=60, record_every=20)
SEEDS = 4


@pytest.fixture(scope="module")
def ppo_runs():
    params = PLAY.game.make_params(prior=1.0)
    batch = jax.tree.map(lambda x: jnp.broadcast_to(x, (SEEDS,) + x.shape), params)
    hp = PLAY.default_hparams()
    hps = jax.tree.map(lambda x: jnp.broadcast_to(x, (SEEDS,)), hp)
    PLAY.check(batch, hps)
    keys = jax.random.split(jax.random.key(3), SEEDS)
    batched = batched_learner_run(PLAY, optimize=False)(keys, batch, hps)
    return keys, params, hp, jax.tree.map(np.asarray, batched)


def test_ppo_makers_reach_the_unique_strict_equilibrium(ppo_runs):
    _, params, _, out = ppo_runs
    P = np.asarray(params.payoffs)[0, 0]  # large initiator, large responder
    game = Bimatrix(P[..., 0], P[..., 1])
    eq = bimatrix_equilibria(game)
    assert len(eq) == 1
    np.testing.assert_allclose(eq[0]["row"], [0, 1])
    np.testing.assert_allclose(eq[0]["col"], [0, 1])
    np.testing.assert_array_equal(out["types"], 0)
    for s in range(SEEDS):
        sigma = out["current"][s]
        for i, j in ((0, 1), (1, 0)):  # both directed pairs, by the shared solver's NashConv
            nc = float(nash_conv(game, (sigma[i, 0, 0], sigma[j, 1, 0])))
            assert nc < 0.2, (s, i, j, nc)  # payoffs up to 10; uniform play has NashConv 3
            assert sigma[i, 0, 0, 1] > 0.97 and sigma[j, 1, 0, 1] > 0.97
    # the population NashConv of the current policies is the mean of the two pairs'
    assert np.all(out["nash_conv_current"][:, -1] < 0.1)
    # the time-average includes the early, nearly uniform policies, but falls
    assert np.all(out["nash_conv_average"][:, -1] < out["nash_conv_average"][:, 0])
    # each round counts once per role: 60 updates x 32 episodes of one round
    np.testing.assert_allclose(out["rounds_in_role"].sum(1), 60 * 32)
    np.testing.assert_array_equal(out["record_rounds"][0], [640, 1280, 1920])


def test_a_vmapped_batch_of_seeds_equals_the_seeds_one_at_a_time(ppo_runs):
    keys, params, hp, batched = ppo_runs
    # compiled as the batch is (backend optimisations off), so that only the batching differs
    options = {"xla_backend_optimization_level": 0} if jax.default_backend() == "cpu" else None
    single = jax.jit(PLAY.run, compiler_options=options)
    for s in (0, 3):
        one = jax.tree.map(np.asarray, single(keys[s], params, hp))
        # the same types and roles (drawn from the seed's key alone) ...
        for name in ("types", "rounds_in_role", "record_rounds"):
            np.testing.assert_array_equal(one[name], batched[name][s], err_msg=name)
        # ... and the same learning, up to float32 rounding of batched products, which
        # Adam carries on (about 1e-4 after 60 updates); a sampled action that this
        # rounding flips moves a total reward of ~1e4 by at most 10
        np.testing.assert_allclose(one["reward"], batched["reward"][s], rtol=2e-3)
        for name in ("current", "average", "nash_conv_average", "nash_conv_current"):
            np.testing.assert_allclose(one[name], batched[name][s], atol=2e-3, err_msg=name)
        # and the seeds differ from each other: the batch does not repeat one run
        assert not np.allclose(batched["current"][0], batched["current"][3], atol=1e-6)


def test_the_study_runs_the_shared_learners_in_whole_updates_and_records():
    from sweeps.studies.liquidity.experiments import shared_play
    from sweeps.studies.liquidity.reproduction import QUICK, experiments

    exps = [e for part in experiments(QUICK).values() for e in part if e.learner in ("ppo", "dqn")]
    # 2 forms x 2 learners x (pairs, sizes), and 2 learners x N = 3, 5
    assert len(exps) == 12 and len({e.name for e in exps}) == 12
    by_name = {e.name: shared_play(e) for e in exps}
    # 3,200 rounds: PPO 100 updates of 32 one-round episodes, DQN 3,200 episodes
    assert (by_name["pairs_simultaneous_ppo"].updates, by_name["pairs_simultaneous_dqn"].updates) == (100, 3200)
    # N = 5: 960 x 5 = 4,800 rounds, PPO updates of 16 x 5 = 80 episodes: 60 updates,
    # already whole records (6 updates each)
    assert by_name["population_n5_ppo"].rounds_per_update == 80
    assert by_name["population_n5_ppo"].updates == 60
    for e in exps:
        play = by_name[e.name]
        assert play.updates * play.rounds_per_update == e.n_rounds
        assert play.updates // play.record_every == QUICK.shared_records
        assert play.game.n_rounds == 1 and play.game.n_makers == e.n_makers


def test_both_learners_follow_the_protocol_and_their_metrics_spec():
    from agents.protocol import Learner, check_metrics
    from sweeps.studies.liquidity.adapter import dqn, policy_gradient

    game = LiquidityGame(n_makers=3, n_actions=3, model="sizes", form="stackelberg", n_rounds=50)
    gp = game.make_params()
    made = ((policy_gradient(game, LearnerPlay.pg), 1),
            (dqn(game, LearnerPlay.dqn, rounds_per_episode=2), 2))
    for (adapter, learner), rounds in made:
        assert isinstance(learner, Learner)
        assert adapter.game.n_rounds == rounds and adapter.n_steps == 2 * rounds  # commit, then answer
        params = adapter.make_params(gp, [0, 1, 0])
        check_metrics(learner, params, learner.default_hparams(), {"train": learner.config.log_every})
