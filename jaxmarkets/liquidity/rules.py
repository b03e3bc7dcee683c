"""The trade rule of paper 002, Sections 3 and 4.1, and the stage game it makes.

Two market makers hold offsetting balances. Player 1 (the initiator, whose
client order must be offloaded) plays a parcel of size a_1, player 2 (the
responder) a parcel of size a_2; sizes are 1..B. The rule of Section 4.1:

    a_1 <= a_2   trade of a_1: both players' utility is a_1 (Eq. 1: |a_i|)
    a_1 >  a_2   no trade (player 2 cannot accept more than it needs): 0, 0

Ties. The text says "less than" but the printed B = 2 matrix trades at
(2, 2) and Section 4.1 calls every diagonal cell an equilibrium, which needs
a trade there. `ties="trade"` (the default) follows the matrices;
`ties="no_trade"` is the literal text (a_1 < a_2 strictly) and is kept so that
the difference can be shown.

Action index i is the size i + 1 ("increasing size"), for both players.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxmarkets.core import check_choice, check_int, check_range
from jaxmarkets.equilibria.payoffs import Bimatrix

TIES = ("trade", "no_trade")
DEFAULT_TIES = "trade"


def accepts(initiator_size, responder_size, ties: str = DEFAULT_TIES):
    """Whether the responder takes the initiator's parcel (array-friendly)."""
    if ties == "trade":
        return initiator_size <= responder_size
    return initiator_size < responder_size


def traded_volume(initiator_size, responder_size, ties: str = DEFAULT_TIES):
    """The parcel that changes hands: the initiator's, or 0 (all or nothing)."""
    xp = jnp if isinstance(initiator_size, jnp.ndarray) else np
    return xp.where(accepts(initiator_size, responder_size, ties), initiator_size, 0 * initiator_size)


def parcel_sizes(n_sizes: int) -> np.ndarray:
    """Sizes 1..B as floats."""
    return np.arange(1, n_sizes + 1, dtype=np.float64)


def stage_payoffs(n_sizes: int, ties: str = DEFAULT_TIES, scale: float = 1.0) -> Bimatrix:
    """Both players' B x B payoff matrices (rows: player 1's size, increasing).

    Both get the traded volume (Eq. 1), times `scale` (payoff scaling changes no
    equilibrium; it is a regime axis of the learning study).
    """
    check_int("sizes", n_sizes, 2)
    check_choice("ties", ties, TIES)
    check_range("scale", scale, 0.0, low_open=True)
    s = parcel_sizes(n_sizes)
    volume = traded_volume(s[:, None], s[None, :], ties) * float(scale)
    return Bimatrix(volume, volume.copy())


def typed_size_payoffs(n_sizes: int, small_holding: int, ties: str = DEFAULT_TIES) -> np.ndarray:
    """The trade rule with holdings as types: pay[t1, t2, a1, a2, player].

    A large maker (type 0) can play every size 1..B; a small one (type 1)
    holds only `small_holding` bonds, so its parcel is min(size, holding)
    (Section 3: a_i in [0, |B_i|]). Both players get the traded volume.
    """
    check_int("sizes", n_sizes, 2)
    check_int("small_holding", small_holding, 1, n_sizes)
    check_choice("ties", ties, TIES)
    s = parcel_sizes(n_sizes)
    size = np.stack([s, np.minimum(s, small_holding)])  # [type, action]
    s1 = size[:, None, :, None]
    s2 = size[None, :, None, :]
    volume = traded_volume(s1 * np.ones_like(s2), s2 * np.ones_like(s1), ties)
    return np.stack([volume, volume], axis=-1)
