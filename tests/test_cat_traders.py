"""Trader strategies of the CAT game: GD against a line-by-line transcription of
JCAT's GDStrategy, Roth-Erev's update, ZIP's rules."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxmarkets.cat import gd, roth_erev, zip_trader
from jaxmarkets.cat.params import default_params

H = 32


def gd_transcribed(entries, buyer, value, max_price=300.0, bid_quote=-np.inf, ask_quote=np.inf, bounded=False):
    """JCAT 0.20 GDStrategy.modifyShout/getMax in plain Python (float64), plus
    the overview's quote bounds when `bounded`. entries: (price, is_bid, matched)."""
    def belief(x):
        if buyer:
            tbl = sum(1 for p, b, m in entries if b and m and p <= x)
            al = sum(1 for p, b, m in entries if not b and p <= x)
            rbg = sum(1 for p, b, m in entries if b and not m and p >= x)
            return (tbl + al) / (tbl + al + rbg)
        tag = sum(1 for p, b, m in entries if not b and m and p >= x)
        bg = sum(1 for p, b, m in entries if b and p >= x)
        ral = sum(1 for p, b, m in entries if not b and not m and p <= x)
        return (tag + bg) / (tag + bg + ral)

    best = [0.0, 0.0]

    def get_max(a1, p1, a2, p2):
        a1, a2 = min(a1, max_price), min(a2, max_price)
        start, end = (a1, min(a2, value)) if buyer else (max(a1, value), a2)
        if bounded:
            start, end = max(start, bid_quote), min(end, ask_quote)
        step = 1.0
        if start < end and start + 5 * step > end:
            step = max((end - start) / 5, 0.01)
        # JCAT loops `for (i = start; i < end; i += step)`; the accumulated sum
        # sometimes lands a rounding error below `end` and adds one point there.
        # Here (and in the game) a segment has exactly ceil(length / step) points.
        for j in range(max(0, int(np.ceil((end - start) / step - 1e-6)))):
            i = start + j * step
            s = (i - a1) / (a2 - a1)
            gain = (p1 + (p2 - p1) * s * s * (3 - 2 * s)) * ((value - i) if buyer else (i - value))
            if gain > best[0]:
                best[:] = [gain, i]

    last_x, last_p = 0.0, (0.0 if buyer else 1.0)
    for x in sorted(p for p, _, _ in entries):
        if x > last_x:
            p = belief(x)
            get_max(last_x, last_p, x, p)
            last_x, last_p = x, p
    get_max(last_x, last_p, max_price, 1.0 if buyer else 0.0)
    if bounded:
        cross = ask_quote if buyer else bid_quote
        gain = (value - cross) if buyer else (cross - value)
        if np.isfinite(cross) and gain > best[0]:
            best[:] = [gain, cross]
    return best[1], best[0] > 0 and best[1] > 0


@functools.partial(jax.jit, static_argnums=(5,))
def _gd_shout(price, is_bid, matched, n, value, buyer, bid_quote, ask_quote, bounded):
    mem = gd.init(1, H, 2)
    tag = jnp.where(jnp.arange(H) < n, jnp.arange(H), -1)
    mem = mem._replace(price=price[None], is_bid=is_bid[None], matched=matched[None], tag=tag[None])
    return gd.shout(mem, 0, buyer, value, 300.0, 5, gd.n_candidates(300.0, H), bid_quote, ask_quote, bounded)


def test_gd_shout_matches_jcat_transcription():
    rng = np.random.default_rng(0)
    shouts = 0
    for trial in range(60):
        n = int(rng.integers(0, H + 1))
        # some memories with many tied prices (one decimal), as GD's own grid makes
        prices = np.round(rng.uniform(40, 200, n), 1 if trial % 2 else 4).astype(np.float32)
        is_bid, matched = rng.random(n) < 0.5, rng.random(n) < 0.3
        buyer, bounded = bool(trial % 3), bool(trial % 4 < 2)
        value = float(np.float32(rng.uniform(50, 150)))
        quotes = sorted(rng.uniform(40, 200, 2)) if bounded else (-np.inf, np.inf)
        pad = lambda a, fill: np.concatenate([a, np.full(H - n, fill, a.dtype)])  # noqa: E731
        got, wants = _gd_shout(jnp.asarray(pad(prices, 0.0)), jnp.asarray(pad(is_bid, False)),
                               jnp.asarray(pad(matched, False)), n, value, buyer, *map(np.float32, quotes), bounded)
        want, want_shout = gd_transcribed(list(zip(prices.tolist(), is_bid, matched)), buyer, value,
                                          bid_quote=float(np.float32(quotes[0])),
                                          ask_quote=float(np.float32(quotes[1])), bounded=bounded)
        assert bool(wants) == want_shout
        if want_shout:
            shouts += 1
            assert float(got) == pytest.approx(want, abs=2e-3)
    assert shouts > 30


def test_roth_erev_update_is_jcats():
    params = default_params(1)
    re = roth_erev.init(2, 4, params)
    np.testing.assert_allclose(re.propensity, 0.25)  # scaling / K
    re = re._replace(last_action=jnp.asarray([1, 3]))
    out = roth_erev.learn(re, jnp.asarray([10.0, 5.0]), jnp.asarray([True, False]), params)
    q = 0.9 * 0.25 + 10.0 * 0.2 / 3  # recency 0.1, experimentation 0.2, K = 4
    np.testing.assert_allclose(out.propensity[0], [q, 0.9 * 0.25 + 10.0 * 0.8, q, q], rtol=1e-6)
    np.testing.assert_allclose(out.propensity[1], 0.25)  # not learning (no units left)
    # a loss that empties the propensities restarts them at scaling / K
    out = roth_erev.learn(re, jnp.asarray([-100.0, 0.0]), jnp.asarray([True, True]), params)
    np.testing.assert_allclose(out.propensity[0], 0.25)
    # choices follow the propensities; a negative one is never chosen
    row = jnp.asarray([0.0, -1.0, 3.0, 1.0])
    picks = [int(roth_erev.choose(row, u)) for u in np.linspace(0.01, 0.99, 50)]
    assert set(picks) == {2, 3} and picks.count(2) > picks.count(3)


def test_zip_rules_move_margins_as_cliff():
    params = default_params(1).replace(zip_absolute=jnp.float32(0.0), zip_relative=jnp.float32(0.0))
    value = jnp.asarray([100.0, 100.0, 100.0, 100.0])
    is_seller = jnp.asarray([True, True, False, False])
    z = zip_trader.Zip(margin=jnp.asarray([0.2, 0.2, -0.2, -0.2]), momentum=jnp.zeros(4),
                       price=jnp.asarray([120.0, 120.0, 80.0, 80.0]))
    active = jnp.asarray([True, False, True, False])
    sees = jnp.ones(4, bool)
    # an accepted bid at 130: sellers asking less raise their margin, active or
    # not (Figure 1); buyers do not react to a bid being taken at a price above theirs
    out = zip_trader.observe(z, value, is_seller, active, sees, 130.0, True, True, params, jnp.uint32(1))
    assert out.price[0] > 120 and out.price[1] > 120
    np.testing.assert_array_equal(out.price[2:], 80.0)
    # an accepted ask at 90: active buyers bidding less lower their margin (bid up)
    out = zip_trader.observe(z, value, is_seller, active, sees, 90.0, False, True, params, jnp.uint32(3))
    assert out.price[2] > 80 and out.price[3] == 80
    # a rejected ask at 110: active sellers asking at least that lower their price
    out = zip_trader.observe(z, value, is_seller, active, sees, 110.0, False, False, params, jnp.uint32(2))
    assert out.price[0] < 120 and out.price[1] == 120 and out.price[2] == 80
    # Widrow-Hoff with momentum: G = (1 - mu) beta (target - margin) at the first step
    want = 0.2 + 0.5 * 0.85 * ((110.0 - 100.0) / 100.0 - 0.2)
    assert float(out.margin[0]) == pytest.approx(want, rel=1e-5)
