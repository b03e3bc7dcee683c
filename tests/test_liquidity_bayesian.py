"""Paper 002, Sections 4.2-4.3: the Bayesian game, its threshold, and every
number of its tables that can be rebuilt from the printed type matrices."""

import jax
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidity import bayesian as bz
from jaxmarkets.liquidity import stackelberg, tables


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


PRINTED = bz.printed_type_payoffs()


def test_printed_type_matrices_in_increasing_size():
    # paper: a type [[(10,10),(0,0)],[(6,6),(5,5)]], b type [[(0,0),(0,0)],[(5,4),(0,0)]],
    # rows player 1 high, low; here rows low, high
    np.testing.assert_array_equal(PRINTED[0, 0, :, :, 0], [[5, 6], [0, 10]])
    np.testing.assert_array_equal(PRINTED[0, 1, :, :, 1], [[0, 4], [0, 0]])
    np.testing.assert_array_equal(PRINTED[0], PRINTED[1])  # Section 4.3: same for a small player 1


def test_threshold_closed_form_and_numerical():
    # player 2's high is weakly dominant for both types; then player 1 gets
    # 10 p from high and 6 p + 5 (1 - p) from low: equal at p = 5/9
    assert bz.dominant_responses(PRINTED) == [1, 1]
    assert bz.threshold_closed_form(PRINTED) == pytest.approx(5 / 9, abs=1e-15)
    assert bz.threshold_numerical(PRINTED) == pytest.approx(5 / 9, abs=1e-9)
    # the trade rule's reading (holdings 10 and 5, low = half): 10 p = 5
    rule = bz.rule_type_payoffs()
    assert bz.threshold_closed_form(rule) == pytest.approx(0.5, abs=1e-15)
    assert bz.threshold_numerical(rule) == pytest.approx(0.5, abs=1e-9)
    # "(1 - p) = 4/5" is printed; 1 - 5/9 is 4/9
    assert 1 - bz.threshold_closed_form(PRINTED) != pytest.approx(tables.PRINTED_ONE_MINUS_THRESHOLD)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_threshold_formula_against_the_solver_on_random_type_games(seed):
    # random player 1 payoffs; player 2's high made dominant for both types
    rng = np.random.default_rng(seed)
    pay = np.zeros((2, 2, 2, 2, 2))
    pay[..., 1] = [[0, 1], [0, 1]]
    while True:
        u1 = rng.integers(0, 10, (2, 2, 2)).astype(float)  # [t2, a1, a2]
        pay[:, :, :, :, 0] = u1
        if bz.threshold_closed_form(pay) is not None:
            break
    assert bz.threshold_numerical(pay) == pytest.approx(bz.threshold_closed_form(pay), abs=1e-9)


def test_bayesian_equilibria_at_the_gemm_prior_are_not_unique():
    # p = 0.35 < 5/9: the paper's BNE (low; high, high) is there, and so is a
    # continuum where player 1 plays high and a small player 2 plays its weakly
    # dominated low w.p. >= 1 - 4p / (5 (1 - p)) = 37/65
    game = bz.one_sided_game(PRINTED, 0.35)
    eqs = bz.bayesian_equilibria(game)
    names = game.names[1]
    hh, hl = names.index("high|large,high|small"), names.index("high|large,low|small")
    got = sorted((tuple(np.round(e["row"], 9)), tuple(np.round(e["col"], 9))) for e in eqs)
    low_hh = ((1.0, 0.0), tuple(float(k == hh) for k in range(4)))
    high_hl = ((0.0, 1.0), tuple(float(k == hl) for k in range(4)))
    mix = np.zeros(4)
    mix[hl], mix[hh] = 37 / 65, 28 / 65
    high_mix = ((0.0, 1.0), tuple(np.round(mix, 9)))
    assert got == sorted([low_hh, high_hl, high_mix])
    e = next(e for e in eqs if e["row"][0] == 1.0)
    np.testing.assert_allclose(e["payoffs"], [5.35, 4.7], atol=1e-12)


def test_at_the_threshold_any_mix_of_player_1_is_an_equilibrium():
    game = bz.one_sided_game(PRINTED, 5 / 9)
    eqs = bz.bayesian_equilibria(game)
    hh = game.names[1].index("high|large,high|small")
    rows = sorted(e["row"][1] for e in eqs if e["col"][hh] == 1.0)
    assert rows[0] == 0.0 and rows[-1] == 1.0  # the whole segment, not only "an equal mix"


def test_the_42_table_is_the_induced_normal_form_over_plans():
    t = tables.bilateral_table(PRINTED, 0.35)
    assert t["cols"] == ["high|large,high|small", "high|large,low|small",
                         "low|large,high|small", "low|large,low|small"]
    np.testing.assert_allclose(t["table"][..., 0], [[3.5, 3.5, 0, 0], [5.35, 2.1, 5.0, 1.75]], atol=1e-12)
    np.testing.assert_allclose(t["table"][..., 1], [[3.5, 3.5, 0, 0], [4.7, 2.1, 4.35, 1.75]], atol=1e-12)


def test_every_printed_table_number_but_one_is_reproduced():
    rows = tables.paper_comparison(PRINTED)
    wrong = [(r["item"], r["row"], r["col"], r["player"], r["printed"], r["rounded"]) for r in rows if not r["agrees"]]
    # the only miss: player 2 at (low, L+High) prints 5.4 where 0.35 * 6 + 0.65 * 4 = 4.7;
    # the 4.3 table multiplies 4.7, not 5.4 (0.35 * 4.7 = 1.6 as printed; 0.35 * 5.4 = 1.9)
    assert wrong == [("table_4.2", "low", "L+High", 2, 5.4, 4.7)]
    assert len(rows) == 2 * (8 + 16) + 3 + 1


def test_quadrant_sums_and_hit_ratio():
    t = tables.both_uncertain_table(PRINTED, 0.35)["table"]
    exact = tables.quadrant_sums(t)
    shown = tables.quadrant_sums(tables.round_half_up(t))
    assert shown["top_left"] == pytest.approx(9.7) and shown["bottom_right"] == pytest.approx(8.3)
    assert shown["total"] == pytest.approx(41.1) and exact["total"] == pytest.approx(41.1)
    assert exact["top_left"] == pytest.approx(9.8875) and exact["bottom_right"] == pytest.approx(8.3525)
    # "the worst overall combination" is not bottom right: top right is lower
    assert shown["top_right"] == pytest.approx(4.5) and shown["top_right"] < shown["bottom_right"]
    assert shown["bottom_left"] == pytest.approx(18.6)
    # the paper's 75%: 6 of the 8 cells of the 4.2 table are non-zero
    t42 = tables.bilateral_table(PRINTED, 0.35)["table"]
    assert tables.hit_ratio(t42, "cells") == 0.75
    assert tables.hit_ratio(t42, "weighted", [1, 0], [0.25] * 4) == 0.5


def test_small_player_advantage_is_only_the_weight():
    # rows s+* are 0.65 / 0.35 times rows L+*: per interaction both types earn the same
    t = tables.both_uncertain_table(PRINTED, 0.35)["table"]
    np.testing.assert_allclose(t[2:] * 0.35, t[:2] * 0.65, atol=1e-12)


def test_rounding_is_half_up():
    np.testing.assert_array_equal(tables.round_half_up([1.75, 4.35, 1.1375, 3.25]), [1.8, 4.4, 1.1, 3.3])


def test_two_sided_game_is_the_sum_of_the_43_rows():
    two = bz.two_sided_game(PRINTED, 0.35, 0.35)
    t = tables.both_uncertain_table(PRINTED, 0.35)["table"]  # rows L+H, L+l, s+H, s+l
    for s, (a_large, a_small) in enumerate(two.plans[0]):
        expected = t[1 - a_large] + t[2 + 1 - a_small]  # row index: high first
        got = np.moveaxis(np.asarray(two.payoffs), 0, -1)[s]
        np.testing.assert_allclose(got[[tables.plan_index(two, p) for p in tables.PAPER_PLAN_ORDER]],
                                   expected, atol=1e-12)


def test_bayesian_stackelberg_equals_the_bayesian_equilibrium():
    # commitment is worth nothing here: below 5/9 the leader commits to low,
    # above to high, earning what the Bayesian equilibrium gives
    for p, action, value in ((0.35, 0, 5.35), (0.7, 1, 7.0)):
        s = stackelberg.mixed_commitment(PRINTED[0, :, :, :, 0], PRINTED[0, :, :, :, 1], [p, 1 - p])
        assert s["leader"][action] == 1.0 and s["payoffs"][0] == pytest.approx(value)


def test_bad_inputs_name_the_field():
    with pytest.raises(InputError, match="prior = 1.5"):
        bz.one_sided_game(PRINTED, 1.5)
    with pytest.raises(InputError, match="large.row has shape"):
        bz.type_payoffs("printed", 1.0, {"large.row": [[1, 2, 3], [4, 5, 6]]})
    with pytest.raises(InputError, match="non-finite"):
        bz.type_payoffs("printed", 1.0, {"small.col": [[1, float("nan")], [0, 0]]})
    with pytest.raises(InputError, match="reading"):
        bz.type_payoffs("garbled")
