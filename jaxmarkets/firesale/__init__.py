"""The fire-sale game of paper 003: equilibria and best-response dynamics.

Modules: `game` (params, prices, equity, leverage, utility, the one-shot
environment), `best_response` (Phi and the simplified Psi), `dynamics`
(simultaneous and sequential iteration as a `lax.while_loop`), `equilibria`
(maximal equilibrium, epsilon test, social optimum, coalitions), `non_even`
(Section 6), `instance` (INSTANCE.json), `random_instances` (Section 5.3),
`cascades` (mechanical contagion), `reference` (a plain NumPy loop of the
dynamics). See docs/firesale.md.
"""
