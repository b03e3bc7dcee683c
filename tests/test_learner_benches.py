"""`jaxmarkets bench pg` and `bench ddqn --recurrent`: they run at tiny sizes and
report their fields, the FLOP count equals a hand count, bad flags exit 2.
No timing is asserted."""

import json
import re

import pytest

from sweeps.cli.main import main
from sweeps.studies.execution.bench_ddqn import _updates_per_agent
from sweeps.studies.execution.bench_pg import flops_per_agent_step


def test_flop_count_equals_a_hand_count_for_a_tiny_network():
    # execution game: 3 observation features; actor 3 -> 4 -> 2 (loc, scale), critic 3 -> 4 -> 1.
    # forward, 2 FLOP per multiply-add: actor 2 (3*4 + 4*2) = 40, critic 2 (3*4 + 4*1) = 32: 72.
    # backward: every weight gradient again (72), plus the input gradients of the
    # second layers only (the observation needs none): 2 (4*2) + 2 (4*1) = 24: 96.
    # update = 4 epochs x (72 + 96) = 672; rollout = 72; total 744.
    assert flops_per_agent_step(3, 4, 1, 2, epochs=4) == {"rollout": 72, "update": 672, "total": 744}
    # the 2 x 64 networks: forward 2 (3*64 + 64*64 + 64*2) + 2 (3*64 + 64*64 + 64) = 17,536;
    # backward 2 * 17,536 - 2 (2 * 3*64) = 34,304; total 17,536 + 4 (17,536 + 34,304) = 224,896
    assert flops_per_agent_step(3, 64, 2, 2, epochs=4)["total"] == 224_896


def test_bench_pg_runs_and_reports_its_fields(capsys):
    argv = ["bench", "pg", "--episodes", "8", "--hidden", "8", "--updates", "1", "--repeat", "1"]
    assert main(argv + ["--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["learner"] == "ppo" and (r["epochs"], r["minibatches"]) == (4, 4)
    assert r["flops_per_agent_step"] == flops_per_agent_step(3, 8, 2, 2, 4)
    for key in ("compile_s", "run_s", "agent_steps_per_s", "rollout_run_s", "ceiling_agent_steps_per_s"):
        assert r[key] > 0, key
    # the printed ratio is the reached FLOP rate over the measured matmul rate
    reached = r["agent_steps_per_s"] * r["flops_per_agent_step"]["total"]
    assert r["fraction_of_matmul_rate"] == pytest.approx(reached / r["matmul"]["flops_per_s"])
    assert r["matmul"]["rows"] == 10 * 8 // 4  # steps x episodes per minibatch


@pytest.mark.parametrize("argv, flag", [
    (["--hidden", "0"], "--hidden = 0"),
    (["--episodes", "-8"], "--episodes = -8"),
    (["--updates", "0"], "--updates = 0"),
    (["--repeat", "0"], "--repeat = 0"),
    (["--episodes", "6"], "--episodes = 6 is not a multiple of --minibatches = 4"),
    (["--learner", "reinforce", "--epochs", "2"], "--epochs = 2"),
])
def test_bench_pg_bad_flags_are_one_line_and_exit_2(capsys, argv, flag):
    assert main(["bench", "pg"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and "\n" not in err


def test_bench_ddqn_recurrent_runs_next_to_the_feed_forward_learner(capsys):
    assert main(["bench", "ddqn", "--recurrent", "gru", "--runs", "2", "--iterations", "8",
                 "--repeat", "1", "--actions", "3", "--head", "action_out", "--reference-steps", "0"]) == 0
    out = capsys.readouterr().out
    ff = float(re.search(r"^lax.scan learner.* ([\d,]+) agent-updates/s", out, re.M)[1].replace(",", ""))
    rec = float(re.search(r"^recurrent \(gru\).* ([\d,]+) agent-updates/s", out, re.M)[1].replace(",", ""))
    ratio = float(re.search(r"ratio recurrent / feed-forward: ([\d.]+)x", out)[1])
    assert ff > 0 and rec > 0 and ratio == pytest.approx(rec / ff, rel=0.01, abs=0.01)


def test_agent_updates_are_counted_from_the_first_full_batch():
    from agents.dqn import DQNConfig
    from agents.recurrent_dqn import RecurrentDQNConfig

    # feed-forward: 20 episodes x 10 steps, updates from the 64th transition: 200 - 63
    assert _updates_per_agent(DQNConfig(train_iterations=20, log_every=20), 10) == 137
    # recurrent: from the 8th episode on, 10 updates per episode: (20 - 7) x 10
    assert _updates_per_agent(RecurrentDQNConfig(train_iterations=20, log_every=20), 10) == 130


@pytest.mark.parametrize("argv, flag", [
    (["--recurrent", "rnn"], "--recurrent = 'rnn' is not one of the allowed values: 'gru', 'lstm'"),
    (["--recurrent", "lstm", "--iterations", "7"], "--iterations = 7"),
    (["--recurrent", "gru", "--repeat", "0"], "--repeat = 0"),
])
def test_bench_ddqn_bad_recurrent_flags_exit_2(capsys, argv, flag):
    assert main(["bench", "ddqn"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert flag in err and "\n" not in err
