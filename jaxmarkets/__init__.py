"""jaxmarkets: strategic market games from research as pure JAX functions.

    env = jaxmarkets.make("execution", n_agents=2)
    params = env.default_params()
    obs, state = env.reset(key, params)

`jaxmarkets.GAMES` lists every registered game (see `jaxmarkets/registry.py`).
"""

from jaxmarkets.core import InputError
from jaxmarkets.registry import GAMES, make

__all__ = ["GAMES", "InputError", "make"]
