"""Run in a subprocess with 4 simulated CPU devices (tests/test_sweep_sharding.py)."""

import os
import sys
import tempfile

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
sys.path.insert(0, os.path.dirname(__file__))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import toy_plan  # noqa: E402

from sweeps import engine  # noqa: E402

assert jax.device_count() == 4, jax.devices()
plan, keys, params, hparams = toy_plan.make(n_runs=5)  # 5 runs: padded to 8 on 4 devices
single = engine.run(plan, keys, params, hparams, tempfile.mkdtemp(), devices=jax.devices()[:1], progress=False)
sharded = engine.run(plan, keys, params, hparams, tempfile.mkdtemp(), progress=False)
for phase in single:
    for name in single[phase]:
        a, b = single[phase][name], sharded[phase][name]
        assert a.shape == b.shape and a.shape[0] == 5, (phase, name, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
# each run alone gives its own row: nothing of the padding reaches the results
for i in (0, 4):
    one = jax.tree.map(lambda x: x[i : i + 1], (keys, params, hparams))
    alone = engine.run(plan, *one, tempfile.mkdtemp(), devices=jax.devices()[:1], progress=False)
    np.testing.assert_allclose(alone["test"]["is"][0], sharded["test"]["is"][i], rtol=1e-6, atol=1e-6)
print("sharded-ok")
