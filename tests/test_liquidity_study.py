"""The liquidity study's pieces: the claims table docs/liquidity.md is written
from, the analysis of learning runs, and the commands' bad input."""

import jax
import numpy as np
import pytest

from sweeps.cli import main
from sweeps.studies.liquidity import analysis as an


def test_claims_verdicts():
    from sweeps.studies.liquidity.claims import check_claims

    with jax.enable_x64(True):
        claims = check_claims()
    verdicts = {c["claim"]: c["verdict"] for c in claims}
    assert verdicts["Threshold p = 5/9"] == "holds"
    assert verdicts["(1 - p) = 4/5"] == "fails"
    assert verdicts["Both-small (8.3) is the worst combination"] == "fails"
    assert verdicts["Hit ratio 75%"] == "holds"
    assert verdicts["The 4 x 4 table"] == "holds"
    assert all(c["verdict"] in ("holds", "fails", "partly") and c["evidence"] for c in claims)


def _result(types, init_high, resp_high, payoffs):
    """A fake experiment result: runs x N makers, simultaneous, 2 actions."""
    runs, n = types.shape
    avg = np.zeros((runs, n, 2, 1, 2))
    avg[:, :, 0, 0, 1] = init_high
    avg[:, :, 0, 0, 0] = 1 - init_high
    avg[:, :, 1, 0, 1] = resp_high
    avg[:, :, 1, 0, 0] = 1 - resp_high
    return {"types": types, "average": avg, "payoffs": payoffs, "scale": np.ones(runs),
            "reward": np.ones((runs, n, 2)), "rounds_in_role": np.ones((runs, n, 2)),
            "nash_conv_average": np.array([[1.0, 0.1, 0.01]] * runs), "record_rounds": np.array([10, 20, 30])}


def test_pair_outcomes_name_the_equilibrium_reached():
    from jaxmarkets.liquidity.bayesian import printed_type_payoffs

    pay = printed_type_payoffs()
    # both large, both play high in both roles: the unique equilibrium
    res = _result(np.array([[0, 0]]), np.array([[1.0, 1.0]]), np.array([[1.0, 1.0]]), pay)
    labels = [o["label"] for o in an.pair_outcomes(res, "printed", "simultaneous", 0.5)]
    assert labels == ["high/high", "high/high"]
    # a small responder facing a high initiator and playing low: the no-trade equilibrium
    res = _result(np.array([[0, 1]]), np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), pay)
    out = an.pair_outcomes(res, "printed", "simultaneous", 0.5)
    assert out[0]["label"] == "high/low" and out[0]["volume"] == 0.0
    assert out[1]["label"] == "high/high"
    np.testing.assert_array_equal(an.rounds_to(res, 0.05), [30])


def test_bayesian_prediction_of_initiators():
    # N = 10, p = 1/2: P(k >= 6) = 130/512 for k ~ Binomial(9, 1/2), plus half of
    # P(k = 5) = 126/512, where a maker is exactly at the threshold
    assert an.predicted_high_share(10, 0.5, 5 / 9) == pytest.approx((130 + 63) / 512)
    types = np.array([[0, 0, 0, 1]])  # others of maker 3: all large; of makers 0-2: 2/3 large
    res = _result(types, np.array([[1.0, 1.0, 1.0, 1.0]]), np.ones((1, 4)), None)
    assert an.bayesian_agreement(res, 5 / 9)["agreement"] == 1.0


@pytest.mark.parametrize("argv, words", [
    (["bench", "liquidity", "--makers", "1"], "n_makers = 1 is outside the allowed range [2, inf)"),
    (["bench", "liquidity", "--learners", "sarsa"], "--learners = 'sarsa'"),
    (["reproduce", "liquidity", "--seed", "-1"], "--seed = -1"),
    (["reproduce", "liquidity", "--seeds", "0", "--out", "/tmp/never-written"], "--seeds = 0"),
    (["reproduce", "liquidity", "--shared-seeds", "0", "--out", "/tmp/never-written"], "--shared-seeds = 0"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, words):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1, err
