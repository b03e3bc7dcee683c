"""Competing double-auction exchanges: the CAT market-design game (paper 004).

    from jaxmarkets.cat import CatGame, simulate
    game = CatGame(days=20, rounds=10)
    metrics, _ = simulate(game, game.default_params(), jax.random.key(0))

Model, defaults and their sources: docs/cat.md.
"""

from jaxmarkets.cat.game import CatGame, simulate, simulate_many
from jaxmarkets.cat.params import CatParams
from jaxmarkets.cat.spec import SpecialistSpec

__all__ = ["CatGame", "CatParams", "SpecialistSpec", "simulate", "simulate_many"]
