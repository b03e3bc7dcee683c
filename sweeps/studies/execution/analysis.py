"""Where learned runs end against the theory of paper 001: quadrants around
Nash, the supra-competitive rectangle, distance to the Pareto front, fast and
slow traders, and the study's summary rows."""

from __future__ import annotations

import numpy as np

from jaxmarkets.execution import theory


def polyline_distance(points, line):
    """Euclidean distance of each point [P, 2] to the polyline through line [L, 2]."""
    a, b = line[:-1], line[1:]
    ab = b - a
    t = np.einsum("psk,sk->ps", points[:, None, :] - a[None], ab) / np.maximum((ab**2).sum(-1), 1e-30)
    nearest = a[None] + np.clip(t, 0.0, 1.0)[..., None] * ab[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(-1)).min(1)


def classify(centroids, nash_is, pareto_is):
    """Counts of centroids [R, 2] per quadrant around the Nash point, and in the rectangle.

    Quadrant 1: both agents pay more than at Nash; 3: both pay less (the
    supra-competitive side); 2: agent 1 pays less, agent 2 more; 4: the reverse.
    The supra-competitive rectangle: both between the Pareto optimum and Nash.
    """
    below = centroids < nash_is[None, :]
    q = {
        "q1": int(np.sum(~below[:, 0] & ~below[:, 1])),
        "q2": int(np.sum(below[:, 0] & ~below[:, 1])),
        "q3": int(np.sum(below[:, 0] & below[:, 1])),
        "q4": int(np.sum(~below[:, 0] & below[:, 1])),
    }
    inside = np.all((centroids >= pareto_is[None, :]) & (centroids <= nash_is[None, :]), axis=1)
    q["in_rectangle"] = int(inside.sum())
    return q


def fast_slow(volume, centroids, min_gap=1.0):
    """Runs whose agents trade at different speeds, and how many of those the faster wins.

    The faster agent holds less inventory on average over the episode; a pair
    counts when the mean inventories differ by more than `min_gap` shares.
    """
    mean_inventory = (volume.shape[-1] * volume.sum(-1, keepdims=True)
                      - np.cumsum(volume, -1).sum(-1, keepdims=True))[..., 0] / volume.shape[-1]
    gap = mean_inventory[:, 0] - mean_inventory[:, 1]
    pairs = np.abs(gap) > min_gap
    fast = np.where(gap > 0, 1, 0)  # agent index with less inventory
    fast_is = centroids[np.arange(len(fast)), fast]
    slow_is = centroids[np.arange(len(fast)), 1 - fast]
    return int(pairs.sum()), int(np.sum(pairs & (fast_is < slow_is)))


def theory_for(cfg, n_front: int = 81) -> dict:
    """Nash, TWAP, their expected IS and the Pareto front of a study config."""
    game = cfg.game()
    p = cfg.game_params(cfg.sigmas[0])  # risk-neutral costs do not depend on sigma
    nash = theory.nash_discrete(game, p)
    twap = theory.twap(game, p)
    front, _ = theory.pareto_front(game, p, n_front)
    return {
        "nash": np.asarray(nash),
        "twap": np.asarray(twap),
        "nash_is": np.asarray(theory.expected_is(game, p, nash)),
        "pareto_is": np.asarray(theory.expected_is(game, p, twap)),
        "front": np.asarray(front),
    }


def summarise(rows_in, th) -> list[dict]:
    rows = []
    for experiment, sigma_train, sigma_test, is_, volume in rows_in:
        centroids = is_.mean(1)
        pairs, fast_wins = fast_slow(volume, centroids)
        # against a fixed Nash player only agent 1 learns: its schedule is the one to compare
        learners = [0] if experiment == "fixed_nash_opponent" else [0, 1]
        mean_sched = volume[:, learners].mean((0, 1))
        rows.append({
            "experiment": experiment,
            "sigma_train": sigma_train,
            "sigma_test": sigma_test,
            "runs": int(len(centroids)),
            **classify(centroids, th["nash_is"], th["pareto_is"]),
            "mean_distance_to_front": float(polyline_distance(centroids, th["front"]).mean()),
            "mean_is": float(centroids.mean()),
            "mean_is_agent1": float(centroids[:, 0].mean()),
            "mean_is_agent2": float(centroids[:, 1].mean()),
            "nash_is": float(th["nash_is"].mean()),
            "pareto_is": float(th["pareto_is"].mean()),
            "fast_slow_pairs": pairs,
            "fast_has_lower_is": fast_wins,
            "schedule_l1_to_nash": float(np.abs(mean_sched - th["nash"].mean(0)).sum()),
            "schedule_l1_to_twap": float(np.abs(mean_sched - th["twap"].mean(0)).sum()),
        })
    return rows


def learner_centroid_rows(groups, th) -> list[dict]:
    """One row per run of each (learner, sigma, test IS [R, M, 2]) group: its centroid
    (mean test IS per agent), its quadrant around Nash and whether it lies in the
    supra-competitive rectangle; the table behind the learners' comparison figure."""
    rows = []
    for learner, sigma, is_ in groups:
        for run, c in enumerate(is_.mean(1)):
            counts = classify(c[None], th["nash_is"], th["pareto_is"])
            rows.append({
                "learner": learner, "sigma": float(sigma), "run": run,
                "is_agent1": float(c[0]), "is_agent2": float(c[1]),
                "quadrant": next(q for q in ("q1", "q2", "q3", "q4") if counts[q]),
                "in_rectangle": bool(counts["in_rectangle"]),
                "distance_to_front": float(polyline_distance(c[None], th["front"])[0]),
            })
    return rows
