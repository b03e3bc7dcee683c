"""The mechanical cascades against hand-computed cases and invariants."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.firesale.best_response import simplified_response
from jaxmarkets.firesale.cascades import caccioli, cont_schaanning, with_leverage
from jaxmarkets.firesale.dynamics import run_dynamics
from jaxmarkets.firesale.game import make_params
from jaxmarkets.firesale.random_instances import section53


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def test_cont_schaanning_single_bank_by_hand():
    # one bank owns the asset: a = 100 + 100 y (1 - s) y, e = 100 - l + 100 (1 - s) y
    p = make_params([[1.0]], [100.0], [150.0], [100.0], 4.0, 1.0)
    r = cont_schaanning(p, 0.0)
    # y = 1: a = 200, e = 50, lev 4 = cap: nothing to sell
    assert float(r.sold_share) == 0.0 and int(r.rounds) == 1
    r = cont_schaanning(p, 0.1)
    # after the shock: V = 90, e = 40, target (4 * 40 - 100) / 90 = 2/3; the
    # sale depresses the price further, so the cascade sells more than 1/3
    assert float(r.y[0]) < 2.0 / 3.0
    # the end point is a fixed point of the deleveraging rule at shocked prices
    shocked = p.replace(prices0=p.prices0 * 0.9)
    assert float(simplified_response("linear", shocked, r.y)[0]) >= float(r.y[0]) - 1e-9


def test_cont_schaanning_matches_simplified_dynamics_without_shock():
    # with no shock, proportional deleveraging from y = 1 is the simplified
    # dynamics Psi (Psi decreases from y = 1, Theorem 7, so min(y, Psi) = Psi)
    P = section53(jax.random.key(3), 5, 0.5, 16, 1)
    r = jax.vmap(cont_schaanning, in_axes=(0, None))(P, 0.0)
    psi = jax.vmap(lambda p: run_dynamics("linear", p, None, "simplified", tol=1e-12, max_steps=20_000))(P)
    assert bool(jnp.all(psi.converged))
    np.testing.assert_allclose(r.y, psi.y, atol=1e-6)


def test_caccioli_by_hand():
    # two banks, one asset each; bank 0 is wiped out by the shock, bank 1 holds
    # no common asset, so nothing spreads
    p = make_params([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], [95.0, 50.0], [100.0, 100.0], 2.0, 1.0)
    r = caccioli(p, 0.1, 1.0)
    np.testing.assert_array_equal(r.failed, [True, False])
    assert float(r.sold_share) == pytest.approx(0.5)
    # shared asset: bank 0's liquidation hits bank 1 at exp(-c * 0.5)
    q = make_params([[0.5], [0.5]], [0.0, 0.0], [47.0, 40.0], [100.0], 2.0, 1.0)
    r = caccioli(q, 0.1, 1.0)
    # bank 0: 45 - 47 < 0 fails; bank 1 then: 0.5 * 90 * exp(-0.5) = 27.3 < 40 fails too
    np.testing.assert_array_equal(r.failed, [True, True])
    assert float(r.failed_share) == 1.0 and int(r.rounds) == 3


def test_cascades_monotone_in_the_leverage_axis():
    P = section53(jax.random.key(4), 6, 0.5, 32, 1)
    cc = jax.vmap(caccioli, in_axes=(0, None, None))
    failed = [float(cc(with_leverage(P, L), 0.1, 1.0).failed_share.mean()) for L in (10.0, 18.0, 25.0)]
    assert failed[0] <= failed[1] <= failed[2]
    cs = jax.vmap(cont_schaanning, in_axes=(0, None))
    sold = [float(cs(P.replace(leverage_cap=P.leverage_cap * m), 0.1).sold_share.mean()) for m in (0.9, 1.0, 1.2)]
    assert sold[0] >= sold[1] >= sold[2]
