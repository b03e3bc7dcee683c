"""The CAT game against its NumPy reference, trade by trade, and the fee rules
of the overview (paper 004, Section 2.3)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from cat_helpers import draws, jax_day
from jaxmarkets.cat import CatGame, SpecialistSpec
from jaxmarkets.cat.day import called, init_state, make_day
from jaxmarkets.cat.params import fee_table, with_fees
from jaxmarkets.cat.reference import Market, reference_day

# two programs cover the code paths: the continuous book (quote beating, the
# uniform price), and a clearing house (the 4-heap quotes, the standing shout's
# price) whose 5 rounds are split in 2 blocks, called 7 and then 3 times a day
CASES = [
    (SpecialistSpec(pricing="uniform"), (1.0, 0.0, 2.0, 5.0, 0.1)),
    (SpecialistSpec(clearing="round", pricing="standing", calls=7), (0.0, 0.0, 0.5, 1.0, 0.2)),
]


@pytest.mark.parametrize("spec, fees", CASES, ids=lambda x: getattr(x, "clearing", ""))
def test_one_day_matches_numpy_reference_trade_by_trade(spec, fees):
    game = CatGame(days=1, rounds=5, buyers={"zic": 12}, sellers={"zic": 10}, specialists=(spec,), record=True)
    params = with_fees(game.default_params(), jnp.asarray([fees], jnp.float32))
    st = game.static
    for seed, calls in ((3, spec.calls), (4, 3)):
        params = params.replace(calls=jnp.asarray([calls], jnp.int32))
        key = jax.random.key(seed)
        state, out, trades, after = jax_day(game, params, key)
        orders, uniforms = draws(game, key)
        ref = reference_day(np.asarray(state.day.traders.value), st.n_buyers, int(params.entitlement), orders,
                            uniforms, Market(spec.clearing, spec.accepting, spec.pricing, 0.5, fees),
                            calls=np.asarray(called(st, params.calls))[:, :, 0], blocks=st.blocks)
        assert len(trades) == len(ref.trades) > 5
        for got, want in zip(trades, ref.trades):
            assert got[:2] == want[:2]
            assert got[2] == pytest.approx(want[2], abs=1e-4)
        np.testing.assert_allclose(np.asarray(after.day.traders.profit), ref.profit, atol=1e-3)
        np.testing.assert_allclose(np.asarray(out.income[0]), ref.income, atol=1e-3)
        assert int(out.new_shouts[0]) == ref.new_shouts


def _two_traders(fees, values, entitlement=1, k=0.6):
    game = CatGame(days=1, rounds=1, buyers={"truth": 1}, sellers={"truth": 1})
    params = with_fees(game.default_params(), jnp.asarray([fees], jnp.float32)).replace(
        k=jnp.asarray([k], jnp.float32), entitlement=jnp.asarray(entitlement, jnp.int32))
    state = init_state(game.static, params, jax.random.key(0))
    traders = state.day.traders._replace(value=jnp.asarray(values, jnp.float32))
    state = state._replace(day=state.day._replace(traders=traders))
    after, out, _ = jax.jit(make_day(game.static, params))(state, fee_table(params), jax.random.key(1))
    return np.asarray(after.day.traders.profit), out


def test_overview_fee_example_buyer_pays_7_40_seller_7_60():
    # Section 2.3: shout fee 2, transaction fee 5, profit fee 10 %; truthful
    # bid 90 and ask 80 trade at 86 (k = 0.6); the buyer's profit is 90 - 86,
    # the seller's 86 - 80, so the fees are 2 + 5 + 0.4 and 2 + 5 + 0.6
    profit, out = _two_traders((0.0, 0.0, 2.0, 5.0, 0.1), (90.0, 80.0))
    assert float(out.mean_price) == pytest.approx(86.0)
    fees_paid = np.array([90.0 - 86.0, 86.0 - 80.0]) - profit
    np.testing.assert_allclose(fees_paid, [7.40, 7.60], atol=1e-4)
    assert float(out.profit[0]) == pytest.approx(15.0, abs=1e-4)
    np.testing.assert_allclose(np.asarray(out.income[0]), [0, 0, 4.0, 10.0, 1.0], atol=1e-4)


def test_fees_are_capped_by_the_daily_balance():
    # JCAT: a trader's balance is value x entitlement (here 90 and 80) plus what
    # it earns; no fee is charged beyond it. A registration fee of 85 leaves the
    # seller nothing (80 - 80) for its shout fee; each pays the transaction fee
    # of 5 out of what is left plus its gain (buyer 2 + 4, seller 0 + 6)
    profit, out = _two_traders((85.0, 0.0, 3.0, 5.0, 0.0), (90.0, 80.0))
    assert profit[0] == pytest.approx((90.0 - 86.0) - 85.0 - 3.0 - 5.0, abs=1e-4)
    assert profit[1] == pytest.approx((86.0 - 80.0) - 80.0 - 0.0 - 5.0, abs=1e-4)
    assert float(out.profit[0]) == pytest.approx(85.0 + 80.0 + 3.0 + 5.0 + 5.0, abs=1e-3)
