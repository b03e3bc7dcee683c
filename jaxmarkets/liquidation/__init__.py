"""The multi-bank liquidation game (notes 000; model in docs/liquidation.md).

    impact.py      price impact of cumulative sales: linear, exponential, power
    params.py      LiquidationParams, their ranges and defaults
    actions.py     the discretised sale table; capacity at initial prices
    validation.py  input checks before anything compiles
    signals.py     the planner's correlated recommendations
    game.py        LiquidationGame, the Environment
    reference.py   a NumPy reference of the dynamics (tests)
    theory.py      the 2x2 reduction: payoffs, equilibria, classification
"""
