"""Run in a subprocess with 4 simulated CPU devices (tests/test_firesale_reference.py):
`many_solver` split over the devices by the engine's `shard_batch` equals the plain vmapped loop, instance by
instance, for both rules, the closed form (alpha = 1) and the general path."""

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"

import jax  # noqa: E402
import numpy as np  # noqa: E402

from jaxmarkets.firesale.dynamics import many_solver, run_dynamics  # noqa: E402
from jaxmarkets.firesale.random_instances import section53  # noqa: E402
from sweeps.engine import shard_batch  # noqa: E402

jax.config.update("jax_enable_x64", True)
assert jax.device_count() == 4, jax.devices()
P = section53(jax.random.key(7), 4, 0.5, 50, 2)  # 50 instances: padded to 52 on 4 devices
half = P.replace(alpha=P.alpha * 0.5)  # alpha != 1: the general best response, with cycle checks
for params in (P, half):
    for rule in ("best_response", "simplified"):
        plain = jax.jit(jax.vmap(lambda p: run_dynamics("linear", p, None, rule, record=5)))(params)
        many = shard_batch(many_solver("linear", params, rule, record=5, blocks=(8, 2)), params)
        assert many.y.shape == (50, 4), many.y.shape
        np.testing.assert_allclose(many.y, plain.y, atol=1e-12)
        np.testing.assert_array_equal(many.steps, plain.steps)
        np.testing.assert_array_equal(many.converged, plain.converged)
        np.testing.assert_allclose(many.max_change, plain.max_change, atol=1e-12)
print("firesale-sharded-ok")
