"""Every registered game: params inside the documented ranges give finite outputs.

Driven by `jaxmarkets.GAMES`: each game's `examples` (static sizes) are cases,
and params are drawn from the game's own `param_ranges()` (the table its
`validate` checks), so a new game joins these tests by its registry entry.
The contract: `validate` raises a one-line InputError (a structural rule, say
a column sum, or a value float32 cannot hold), or `reset` and a few `step`s
with random valid actions give finite observations, rewards and states, and
no NaN anywhere (an `info` entry may be infinite where its game documents it,
like the fire-sale game's -inf utility).

Each (game, example, dtype) compiles its rollout once: params and actions are
traced arguments, the environment is static.
"""

import functools

import jax
import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import jaxmarkets
from helpers.param_strategies import outside_values, param_updates, params_fields, with_values
from jaxmarkets.core import InputError, ParamRange

STEPS = 3

CASES = [
    pytest.param(name, static, id=f"{name}[{','.join(f'{k}={v}' for k, v in static.items())}]")
    for name, entry in jaxmarkets.GAMES.items()
    for static in entry.examples
]


@functools.partial(jax.jit, static_argnums=0)
def rollout(env, key, params, actions):
    """reset, then one step per row of actions [STEPS, *action shape]."""
    key_reset, key_steps = jax.random.split(key)
    obs, state = env.reset(key_reset, params)

    def body(state, inputs):
        action, key = inputs
        out = env.step(key, state, action, params)
        return out.state, (out.obs, out.rewards, out.done, out.info)

    keys = jax.random.split(key_steps, actions.shape[0])
    final, traj = jax.lax.scan(body, state, (actions, keys))
    return obs, state, final, traj


def all_finite(tree) -> bool:
    return all(bool(np.all(np.isfinite(np.asarray(x)))) for x in jax.tree.leaves(tree)
               if np.asarray(x).dtype.kind == "f")


def no_nan(tree) -> bool:
    return not any(bool(np.any(np.isnan(np.asarray(x)))) for x in jax.tree.leaves(tree)
                   if np.asarray(x).dtype.kind == "f")


def actions_strategy(space, steps):
    shape = (steps, *space.shape)
    low, high = float(np.min(space.low)), float(np.max(space.high))
    element = st.one_of(st.sampled_from([low, high]), st.floats(low, high))
    size = int(np.prod(shape))
    return st.lists(element, min_size=size, max_size=size).map(lambda v: np.reshape(v, shape))


def assert_one_line_naming_a_field(err: InputError, fields):
    msg = str(err)
    assert msg and "\n" not in msg, msg
    assert any(msg.startswith(f) for f in fields), msg


def test_every_game_declares_ranges_of_its_params_fields():
    for name in jaxmarkets.GAMES:
        env = jaxmarkets.make(name)
        ranges = env.param_ranges()
        assert ranges, f"{name}: declare the params ranges in param_ranges()"
        assert all(isinstance(r, ParamRange) for r in ranges)
        unknown = {r.field for r in ranges} - params_fields(env.default_params())
        assert not unknown, f"{name}: ranges of unknown fields {unknown}"


@pytest.mark.parametrize("name, static", CASES)
def test_validate_enforces_each_declared_range(name, static):
    """Past either end of a range (or NaN / inf) validate names the field and the range;
    the default params and each range's inner ends pass (structural rules aside)."""
    env = jaxmarkets.make(name, **static)
    default = env.default_params()
    env.validate(default)
    for r in env.param_ranges():
        base = np.asarray(getattr(default, r.field), np.float64)
        if base.size == 0:
            continue
        for bad in outside_values(r):
            values = base.copy().reshape(-1)
            values[0] = bad
            with pytest.raises(InputError) as err:
                env.validate(with_values(default, {r.field: values.reshape(base.shape)}))
            msg = str(err.value)
            assert msg.startswith(f"{r.field} = ") and r.interval() in msg and "\n" not in msg, msg


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
@pytest.mark.parametrize("name, static", CASES)
def test_params_in_range_give_finite_rollouts_or_input_error(name, static, x64):
    with jax.enable_x64(x64):
        env = jaxmarkets.make(name, **static)
        default = env.default_params()
        ranges = env.param_ranges()
        fields = sorted(params_fields(default), key=len, reverse=True)
        space = env.action_space(default)

        @given(data=st.data())
        def check(data):
            params = with_values(default, data.draw(param_updates(ranges, default), label="params"))
            actions = data.draw(actions_strategy(space, STEPS), label="actions")
            try:
                env.validate(params)
            except InputError as err:
                event("rejected by validate")
                assert_one_line_naming_a_field(err, fields)
                if x64:  # drawn inside every range: only a structural rule may fail
                    assert "is outside the allowed range" not in str(err), str(err)
                return
            obs0, state0, final, (obs, rewards, done, info) = rollout(
                env, jax.random.key(0), params, actions.astype(space.dtype)
            )
            event("rolled out")
            assert all_finite((obs0, state0, final, obs, rewards)), (params, obs, rewards)
            assert no_nan(info), info

        check()


def test_default_params_roll_out_finite_in_both_dtypes():
    """The plain path the property test is built on (so its InputError branch
    cannot hide a broken game)."""
    for case in CASES:
        name, static = case.values
        for x64 in (False, True):
            with jax.enable_x64(x64):
                env = jaxmarkets.make(name, **static)
                params = env.default_params()
                env.validate(params)
                space = env.action_space(params)
                actions = np.full((STEPS, *space.shape), 0.5, space.dtype)
                obs0, state0, final, (obs, rewards, _, info) = rollout(env, jax.random.key(1), params, actions)
                assert all_finite((obs0, state0, final, obs, rewards)) and no_nan(info)
