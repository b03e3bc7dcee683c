"""Continua of equilibria of a degenerate bimatrix game: maximal Nash subsets.

Take the extreme equilibria as the edges of a bipartite graph between the
distinct extreme row strategies and the distinct extreme column strategies. Two
extreme equilibria (x1, y1), (x2, y2) are interchangeable when (x1, y2) and
(x2, y1) are equilibria too; then every convex combination is. A maximal set of
mutually interchangeable extreme equilibria is a maximal biclique X x Y of the
graph, and conv(X) x conv(Y) is a maximal Nash subset; every equilibrium lies in
one, and the connected components of the graph are the topological components
of the set of equilibria (Winkels 1979; Avis, Rosenberg, Savani, von Stengel
2010, "Enumeration of Nash equilibria for two-player games", Sect. 5).

So a game has a continuum of equilibria iff some maximal biclique has more than
one row or more than one column strategy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jaxmarkets.core import InputError
from jaxmarkets.equilibria.tolerances import SAME_STRATEGY


class NashSubsets(NamedTuple):
    rows: np.ndarray  # [p, m] the distinct extreme row strategies
    cols: np.ndarray  # [q, n] the distinct extreme column strategies
    edges: list  # (i, j): (rows[i], cols[j]) is an extreme equilibrium, one per input
    subsets: list  # maximal bicliques (I, J), tuples of indices into rows and cols
    components: list  # per component of the equilibrium set, indices into subsets


def _node(nodes: list, v: np.ndarray) -> int:
    for i, w in enumerate(nodes):
        if np.max(np.abs(w - v)) <= SAME_STRATEGY:
            return i
    nodes.append(v)
    return len(nodes) - 1


def maximal_nash_subsets(equilibria) -> NashSubsets:
    """Maximal Nash subsets and components from *all* extreme equilibria of a game.

    equilibria: the list from `bimatrix_equilibria` (dicts with "row" and "col").
    A partial list gives the subsets of the graph it describes, not of the game.
    """
    if not isinstance(equilibria, (list, tuple)) or not all(
        isinstance(e, dict) and "row" in e and "col" in e for e in equilibria
    ):
        raise InputError("equilibria must be a list of dicts with 'row' and 'col', as returned "
                         "by bimatrix_equilibria")
    rows, cols, edges = [], [], []
    for e in equilibria:
        edges.append((_node(rows, np.asarray(e["row"], float)), _node(cols, np.asarray(e["col"], float))))
    nbrs = [frozenset(j for i2, j in edges if i2 == i) for i in range(len(rows))]

    # Every maximal biclique's column side is an intersection of row
    # neighbourhoods and vice versa; grow the family of such intersections one
    # row at a time (each new row meets every set found so far).
    intents: set[frozenset] = set()
    for nb in nbrs:
        intents |= {nb} | {nb & s for s in intents if nb & s}
    subsets = sorted(
        (tuple(i for i in range(len(rows)) if Y <= nbrs[i]), tuple(sorted(Y))) for Y in intents
    )

    parent = list(range(len(subsets)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a in range(len(subsets)):
        for b in range(a):
            if set(subsets[a][0]) & set(subsets[b][0]) or set(subsets[a][1]) & set(subsets[b][1]):
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for a in range(len(subsets)):
        groups.setdefault(find(a), []).append(a)
    m = len(equilibria[0]["row"]) if equilibria else 0
    n = len(equilibria[0]["col"]) if equilibria else 0
    return NashSubsets(
        rows=np.array(rows).reshape(-1, m), cols=np.array(cols).reshape(-1, n), edges=edges,
        subsets=subsets, components=sorted(groups.values()),
    )


def has_continuum(equilibria) -> bool:
    """Whether the equilibria form a continuum: some maximal Nash subset has two
    or more extreme equilibria (so their convex combinations are equilibria)."""
    return any(len(I) > 1 or len(J) > 1 for I, J in maximal_nash_subsets(equilibria).subsets)
