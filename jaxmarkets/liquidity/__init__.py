"""The liquidity game between market makers (paper 002, Vidler & Walsh).

    rules.py        Section 3's trade rule and the B x B stage game it makes
    stage.py        its equilibria through the shared solvers, and in closed form
    bayesian.py     Section 4.2's types (large / small), the prior p, the
                    induced normal form, Bayesian equilibria, the threshold in p
    tables.py       the 17-GEMM tables (35% / 65%), quadrant sums, hit ratio,
                    and every number the paper prints there
    stackelberg.py  player 1 commits first: Stackelberg equilibria
    game.py         LiquidityGame: N market makers in repeated play (Environment)
    learning.py     fictitious play, Roth-Erev, regret matching and Hedge in
                    repeated play, in lax.scan, vmapped over seeds and regimes
    population.py   exploitability of a population's strategies, equilibrium
                    classification, the Bayesian prediction for N makers

The printed matrices and tables of the paper are partly inconsistent with its
rules; docs/liquidity.md lists what does and does not reproduce, and why.
"""
