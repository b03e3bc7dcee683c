"""Part (c), the learned specialist: it finds a fee known to be best by hand,
and the score it reports is the Section 3.2 score of its per-day metrics.

The game: two identical CDAs, a free rival and the learner, ZI-C traders
choosing markets epsilon-greedily on their past net profits. The menu is a
registration fee of 0, 0.001 or 1000. By hand:
- free: profit share 0 (every market collects 0), market share about 1/2;
- 0.001: every day some trader registers, so the learner collects all fees
  there are: profit share 1; 0.001 is below the traders' tie tolerance (0.01),
  so they keep splitting about evenly: market share about 1/2; it beats free
  by about 1/3 a day;
- 1000: more than any trader's whole budget (3 units x value <= 450), so a
  trader that registers loses its day's budget and the learner's market then
  has a return far below the free one's: from day 1 on only exploring traders
  (epsilon / 2 = 5 %) come, its market share falls to about 0.05 and, with
  12 traders, on about half the days nobody registers (profit share 0).
So 0.001 dominates, and the learner's policy must concentrate on it.
"""

import numpy as np
import pytest

from sweeps.studies.cat.learned import BanditConfig, advantages, gradient, probabilities
from sweeps.studies.cat.learned_study import LearnedConfig, field_game, run_field, summarise

FREE = ("free", {"clearing": "continuous", "accepting": "quote_beating", "pricing": "discriminatory"}, (0,) * 5)
CFG = LearnedConfig(traders=6, days=4, rounds=3, runs=("free",), eval_games=12,
                    bandit=BanditConfig(iterations=12, games=48, group=8, lr=0.3),
                    menu=(("registration", (0.0, 0.001, 1000.0)),))


@pytest.fixture(scope="module")
def run():
    # (3 options + the learned policy) x 12 evaluation games = 48 training games: one program
    return run_field(CFG, "free", (FREE,), seed=3, log=lambda *_: None)


def test_policy_concentrates_on_the_fee_that_dominates_by_hand(run):
    p = run["probabilities"][0]
    assert p[1] > 0.8, p  # the 0.001 registration fee
    # the brute-force evaluation of each option, every day, on common seeds agrees
    free, tiny, huge = run["option_scores"].mean(1)
    assert tiny > free + 0.2 and tiny > huge + 0.1, (free, tiny, huge)
    np.testing.assert_array_equal(run["learned_fees"], np.tile([0.001, 0, 0, 0, 0], (CFG.days, 1)).astype(np.float32))
    assert run["curve"][-1] > run["curve"][0]


def test_reported_score_is_recomputed_from_the_per_day_metrics(run):
    names = field_game(CFG, "free", (FREE,))[2]
    rows, learner = summarise("free", run, names)
    traders, profit = run["eval_traders"], run["eval_profit"]
    shouts, trades = run["eval_new_shouts"], run["eval_transactions"]
    market = traders / traders.sum(-1, keepdims=True)
    total = profit.sum(-1, keepdims=True)
    profit_share = np.where(total > 0, profit / np.where(total > 0, total, 1), 0.0)
    tsr = np.where(shouts > 0, 2 * trades / np.maximum(shouts, 1), 0.0)
    score = ((market + profit_share + tsr) / 3).mean((0, 1))  # over games and days, every day assessed
    assert [r["specialist"] for r in rows] == ["free", "learned"]
    np.testing.assert_allclose([r["score"] for r in rows], score, rtol=1e-5)
    assert learner["learned_score"] == pytest.approx(score[1], rel=1e-5)
    assert learner["best_constant_option"] == "regi 0.001"


def test_gradient_and_group_advantages_by_hand():
    # two options, logits 0 (p = 1/2 each); two groups of two games, one day
    rewards = np.asarray([[1.0], [0.0], [3.0], [5.0]])
    adv = advantages(rewards, "day", group=2)
    np.testing.assert_allclose(adv[:, 0], [0.5, -0.5, -1.0, 1.0])
    options = np.asarray([[0], [1], [1], [0]])
    # d/dlogit_0 of log pi(a): 1 - 1/2 for a = 0, -1/2 for a = 1
    want0 = np.mean([0.5 * 0.5, -0.5 * -0.5, -1.0 * -0.5, 1.0 * 0.5])
    np.testing.assert_allclose(gradient(np.zeros((1, 2)), options, adv, "constant"), [[want0, -want0]])
    # "return": a day is credited with the scores from it to the end
    two_days = np.asarray([[1.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(advantages(two_days, "return", group=2), [[1.5, 1.0], [-1.5, -1.0]])
    np.testing.assert_allclose(probabilities(np.log([[1.0, 3.0]])), [[0.25, 0.75]])


def test_a_seat_announcing_its_own_fixed_fees_plays_the_same_game():
    """simulate(seat, seat_fees) with the fees the seat's fixed policy would
    announce is the plain game; other fees are announced as given."""
    import jax

    from jaxmarkets.cat.game import simulate
    from jaxmarkets.cat.params import fee_table, with_fees

    game, params, _ = field_game(CFG, "free", (FREE,))
    params = with_fees(params, np.asarray([[0, 0, 0, 0, 0], [0.5, 0, 0.1, 1, 0.2]], np.float32))
    run = jax.jit(lambda fees: simulate(game, params, jax.random.key(5), 1, fees)[0])
    own = np.tile(np.asarray(fee_table(params))[1], (CFG.days, 1))
    plain = jax.jit(lambda: simulate(game, params, jax.random.key(5))[0])()
    same = run(own)
    for a, b in zip(plain, same):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    other = own.copy()
    other[2:, 0] = 7.0  # registration 7 from day 2
    out = run(other)
    np.testing.assert_array_equal(np.asarray(out.fees)[:, 1], other)
    assert np.asarray(out.income)[2:, 1, 0].sum() > 0 and not np.array_equal(np.asarray(out.score), np.asarray(same.score))


def test_learned_mix_option_and_its_validation():
    """--learned-mix mixed is part (b)'s population; a bad strategy or too few traders per strategy is one
    InputError naming learned.mix / learned.traders, before anything compiles."""
    import argparse
    import dataclasses

    from jaxmarkets.core import InputError
    from sweeps.studies.cat.reproduce_command import learned_overrides
    from sweeps.studies.cat.reproduction import QUICK

    names = ("mix", "runs", "days", "eval_games", "iterations", "games", "group")
    args = argparse.Namespace(**{"learned_" + k: None for k in names})
    args.learned_mix, args.learned_iterations, args.learned_games = "mixed", 3, 16
    lc = learned_overrides(QUICK, args)
    assert lc.mix == QUICK.tournament_mix == ("zic", "zip", "gd", "re")
    assert (lc.bandit.iterations, lc.bandit.games, lc.bandit.group) == (3, 16, QUICK.learned.bandit.group)
    dataclasses.replace(QUICK, learned=lc).validate()
    with pytest.raises(InputError, match="learned.mix"):
        dataclasses.replace(QUICK, learned=dataclasses.replace(lc, mix=("zic", "foo"))).validate()
    with pytest.raises(InputError, match="learned.traders"):
        dataclasses.replace(QUICK, learned=dataclasses.replace(lc, traders=3)).validate()
