"""N alike banks, one period: payoffs from the environment, symmetric equilibria
against the closed form of cash raised at post-impact prices (linear impact):
p* = (r N - 1) / ((1 + r)(N - 1)), interior for 1/N < r < N."""

import jax
import numpy as np
import pytest

from jaxmarkets.core import InputError
from jaxmarkets.liquidation import symmetric as sy
from jaxmarkets.liquidation import theory as th


def two_bank(ratio, objective="cash"):
    game = th.reduction_game(objective=objective)
    return game.make_params(impact_coef=[0.002, 0.002 * ratio], liabilities=0.0, withdrawal=0.0)


@pytest.mark.parametrize("n_banks", [3, 5])
def test_cash_post_mixed_equilibrium_matches_closed_form(n_banks):
    with jax.enable_x64(True):
        for ratio in (0.15, 0.5, 1.5, 3.9):  # a_2 q N < 1: no price reaches its floor
            out = sy.analyse(n_banks, {"objective": "cash"}, two_bank(ratio))
            # u_k(n) by hand: q = 25 units, X_1 = q (n + 1) when selling asset 1
            q, n = 25.0, np.arange(n_banks)
            np.testing.assert_allclose(out["u1"], q * (1 - 0.002 * q * (n + 1)), rtol=1e-12)
            np.testing.assert_allclose(out["u2"], q * (1 - 0.002 * ratio * q * (n_banks - n)), rtol=1e-12)
            p = (ratio * n_banks - 1) / ((1 + ratio) * (n_banks - 1))
            want = [p] if 0 < p < 1 else [1.0 if p >= 1 else 0.0]
            np.testing.assert_allclose(out["equilibria"], want, atol=1e-12)
            # at a mixed equilibrium both assets pay the same, which is the reported value
            if 0 < p < 1:
                np.testing.assert_allclose(out["values"][0], sy.gain_value(out["u1"], p), rtol=1e-12)
                np.testing.assert_allclose(sy.gain_value(out["u1"], p), sy.gain_value(out["u2"], p), rtol=1e-9)


def test_two_banks_agree_with_the_2x2_vertex_enumeration():
    with jax.enable_x64(True):
        for objective, ratio in (("cash", 1.5), ("cash", 0.8), ("equity", 3.0)):
            params = two_bank(ratio, objective)
            game = th.reduction_game(objective=objective)
            eqs = th.analyse(game, params)["equilibria"]
            symmetric = sorted(e["row"][0] for e in eqs if np.allclose(e["row"], e["col"]))
            out = sy.analyse(2, {"objective": objective}, params)
            np.testing.assert_allclose(out["equilibria"], symmetric, atol=1e-9)


def test_symmetric_equilibria_of_coordination_include_both_pure_profiles():
    """g(p) = 1 - 2 p (the others' asset is what pays): p = 0, 1/2 and 1."""
    u1, u2 = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    np.testing.assert_allclose(sy.symmetric_equilibria(u1, u2), [0.0, 0.5, 1.0], atol=1e-12)
    assert np.isnan(sy.symmetric_equilibria(np.ones(3), np.ones(3))[0])


def test_unlike_banks_are_rejected():
    with jax.enable_x64(True):
        game = sy.one_period_game(3)
        params = sy.alike_params(game, two_bank(1.5))
        params = params.replace(cash=params.cash.at[1].set(5.0))
        with pytest.raises(InputError, match="^cash: the symmetric analysis needs alike banks"):
            sy.payoffs(game, params)
