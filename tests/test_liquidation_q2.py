"""Q2 of the liquidation study: the cross of axes, impact per unit of the
market, and one cell's invariants and resume."""

import numpy as np
import pytest

from sweeps.engine.tasks import TaskRunner
from sweeps.studies.liquidation import q2


def test_cells_form_a_cross_and_impact_scales_with_the_market():
    cfg = q2.Q2Config(n_banks=(2, 5, 10), ratios=(1.0, 3.0), diversifications=(1, 2), axis_banks=5,
                      overlap_assets=4)
    got = [(c.axes, c.n_banks, c.ratio, c.n_assets, c.diversification) for c in q2.cells(cfg)]
    assert got == [("banks", 2, 3.0, 2, 0), ("banks+ratio", 5, 3.0, 2, 0), ("banks", 10, 3.0, 2, 0),
                   ("ratio", 5, 1.0, 2, 0), ("overlap", 5, 3.0, 4, 1), ("overlap", 5, 3.0, 4, 2)]
    cells = q2.cells(cfg)
    # a_1 = 0.002 at N = 2; N = 10 banks share a market five times as deep
    np.testing.assert_allclose(q2.impact_coef(cfg, cells[2]), [0.0004, 0.0012])
    # M = 4 assets from a_1 to r a_1, at N = 5
    np.testing.assert_allclose(q2.impact_coef(cfg, cells[4]), 0.002 * 2 / 5 * np.array([1, 5 / 3, 7 / 3, 3]))
    unscaled = q2.Q2Config(scale_impact=False)
    np.testing.assert_allclose(q2.impact_coef(unscaled, cells[2]), [0.002, 0.006])
    with pytest.raises(Exception, match="diversifications"):
        q2.Q2Config(diversifications=(3,), overlap_assets=2).validate()


def test_one_cell_keeps_its_invariants_and_resumes(tmp_path):
    cfg = q2.Q2Config(n_banks=(3,), objectives=("equity",), seeds=2, ppo_updates=10, test_episodes=32,
                      benchmark_episodes=64, learners=("ppo",))
    runner = TaskRunner(str(tmp_path), resume=False)
    rows = q2.run(cfg, runner)
    by = {r["policy"]: r for r in rows}
    assert set(by) == {"myopic", "random", "proportional", "proportional_stochastic", "ppo", "planner"}
    planner = by["planner"]["welfare"]
    assert by["planner"]["planner_method"] == "exact"  # 5^6 joint sequences
    for r in rows:
        # the planner maximises over open-loop sequences; dynamics are deterministic after the reset
        assert r["welfare"] <= planner + 1e-4
        if r["policy"] == "planner":
            continue
        assert 0 <= r["default_share"] <= 1 and 0 <= r["liquid_first"] <= 1
        path = [1.0] + [r[f"price_t{t}_{k}"] for t in (1, 2) for k in ("liquid",)]
        assert np.all(np.diff(path) <= 1e-6)  # impact is permanent and only sales happen
        assert r["price_t2_illiquid"] <= 1.0 + 1e-6
    # by construction: myopic sells the liquid asset first; deterministic pro rata
    # sells the largest position, a tie of equal books broken towards asset 1 (liquid)
    assert by["myopic"]["liquid_first"] == 1.0 and by["proportional"]["liquid_first"] == 1.0
    resumed = TaskRunner(str(tmp_path), resume=True)
    assert q2.run(cfg, resumed) == rows
    assert (resumed.loaded, resumed.ran) == (1, 0)
