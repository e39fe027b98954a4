"""detect_anomaly: NaN/inf in a forward result or a gradient names the op, inputs and file:line."""

import inspect
import math
import sys

import pytest

from autograd import Value, detect_anomaly, gradients
from autograd.anomaly import AnomalyError
from autograd.engine import MODE
from nn import MLP

HERE = __file__


def line_after() -> int:
    """The line number of the caller's next line."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_anomaly_catches_an_infinite_gradient_of_log_near_zero_with_file_and_line():
    x = Value(5e-324, label="x")  # log is finite here (-744.4), its slope 1/x is not
    with pytest.raises(FloatingPointError) as info:
        with detect_anomaly():
            line = line_after()
            y = x.log() * 2.0
            y.backward()
    message = str(info.value)
    assert message.startswith("gradient inf for input 0 of log(5e-324)")
    assert f"{HERE}:{line}" in message and "y = x.log() * 2.0" in message
    assert x.grad == 0.0  # the failed backward left .grad as it was


def test_anomaly_catches_a_nan_forward_result_where_it_was_made():
    big = Value(1e300)
    with pytest.raises(FloatingPointError) as info:
        with detect_anomaly():
            big * 1e10  # already infinite: reported here
    assert "mul_const(1e+300, 10000000000.0) gave inf" in str(info.value)
    big_inf = Value(math.inf)
    with pytest.raises(AnomalyError) as info:
        with detect_anomaly():
            line = line_after()
            big_inf * 0.0  # inf * 0 = nan
    assert " gave nan at " in str(info.value)
    assert f"{HERE}:{line}" in str(info.value)
    assert info.value.node._op is not None


def test_anomaly_gradient_caught_inside_the_block_names_the_same_line():
    x = Value(5e-324)
    with detect_anomaly():
        line = line_after()
        y = x.log()
        with pytest.raises(FloatingPointError) as info:
            gradients(y, [x])
    assert f"{HERE}:{line}" in str(info.value)  # the engine adds its own prefix inside the block


def test_anomaly_points_at_the_users_line_not_at_nn():
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 1e300
    with pytest.raises(FloatingPointError) as info:
        with detect_anomaly():
            line = line_after()
            model([1e300])
    message = str(info.value)
    name = inspect.currentframe().f_code.co_name
    assert message.splitlines()[0].endswith(f"{HERE}:{line} in {name}: model([1e300])")
    assert "nn" in message  # the stack summary shows where inside nn


def test_anomaly_changes_no_result_when_all_is_finite():
    def run():
        x = Value(0.3)
        y = (x * x).tanh().log() + x.exp()
        y.backward()
        return y.data, x.grad

    plain = run()
    with detect_anomaly():
        checked = run()
    assert plain == checked


def test_anomaly_records_nothing_outside_the_block_and_drops_its_table():
    assert MODE.get() is None
    with detect_anomaly():
        y = Value(2.0) * 3.0
        inside = sys.getrefcount(y)
    assert MODE.get() is None
    assert sys.getrefcount(y) == inside - 1  # the side table let go of the node
    z = Value(1e300) * 1e10  # outside: no check, as promised
    assert math.isinf(z.data)


def test_anomaly_leaves_unrelated_floating_point_errors_alone():
    with pytest.raises(FloatingPointError, match="mine"):
        with detect_anomaly():
            raise FloatingPointError("mine")
