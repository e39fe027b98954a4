"""What cannot be traced is refused with TraceError naming the line, bad batches get
ValueError naming the argument, and replay errors are the scalar engine's plus the sample."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from autograd import TraceError, Value, dot, no_grad, trace
from nn import MLP

HERE = __file__


def _line_of(marker: str, f) -> int:
    """The line number of the source line of `f` that contains `marker`."""
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, line in enumerate(lines) if marker in line)


# ---------------------------------------------------------------------------
# branches and numbers read out of traced Values
# ---------------------------------------------------------------------------


def branchy(x):
    if x > 0:  # data-dependent branch
        return x * 2.0
    return x


def truthy(x):
    return x * 2.0 if x else x  # truth test


def biggest(xs):
    return max(xs)  # comparisons inside max


def read_out(x):
    return x * x.item()  # a traced number read out


def frozen(x):
    return x.detach() * x  # a copy of this sample's number


def quiet(x):
    with no_grad():
        y = x * 2.0  # cut out of the graph
    return y


@pytest.mark.parametrize("f, arg, what", [
    (branchy, 1.0, "a comparison v >"),
    (truthy, 1.0, "the truth value of v"),
    (biggest, [1.0, 2.0], "a comparison"),
    (read_out, 1.0, "v.item()"),
    (frozen, 1.0, "v.detach()"),
    (quiet, 1.0, "no_grad()"),
])
def test_data_dependent_python_is_refused_naming_the_line(f, arg, what):
    marker = {branchy: "if x > 0", truthy: "if x else", biggest: "max(xs)", read_out: "x.item()",
              frozen: "x.detach()", quiet: "y = x * 2.0"}[f]
    with pytest.raises(TraceError) as info:
        trace(f, arg)
    message = str(info.value)
    assert what in message
    assert f"{HERE}:{_line_of(marker, f)}" in message
    assert "relu" in message  # says what to use instead
    assert isinstance(info.value, TypeError)


def test_a_trace_in_one_thread_leaves_comparisons_in_another_alone():
    import threading

    inside, done = threading.Event(), threading.Event()
    results = []

    def slow(x):
        inside.set()
        done.wait(5)
        return x * 2.0

    worker = threading.Thread(target=lambda: results.append(trace(slow, 1.0)))
    worker.start()
    inside.wait(5)
    try:
        assert Value(2.0) > Value(1.0)  # this thread is not tracing
    finally:
        done.set()
        worker.join()
    assert results[0]([3.0]).tolist() == [6.0]


def test_float_of_a_traced_value_is_refused():
    with pytest.raises(TraceError, match="float"):
        trace(lambda x: Value(float(x)), 1.0)


def test_recorded_kinks_are_fine_and_comparisons_work_again_after_trace():
    program = trace(lambda x: x.relu() + abs(x) + x.step() + x.leaky_relu(0.1), 0.5)
    X = np.array([-2.0, 0.0, 3.0])
    assert program(X).tolist() == [-0.2 + 2.0, 0.0, 3.0 + 3.0 + 1.0 + 3.0]
    with pytest.raises(TraceError):
        trace(branchy, 1.0)
    assert Value(2.0) > 1.0  # the hook is gone once trace returns, even after an error


def test_a_captured_non_leaf_value_is_refused():
    w = Value(2.0)
    h = w * 3.0  # computed outside: its number would not follow w

    with pytest.raises(TraceError, match="computed outside"):
        trace(lambda x: x * h, 1.0)
    assert trace(lambda x: x * w, 1.0)([1.0, 2.0]).tolist() == [2.0, 4.0]


def test_the_function_must_return_values():
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="expected a function"):
        trace(3.0, 1.0)


@pytest.mark.parametrize("arg, error", [("a", TypeError), (True, TypeError), ([1.0, "b"], TypeError),
                                        ([[1.0], [1.0, 2.0]], ValueError), (math.inf, ValueError)])
def test_example_arguments_must_be_numbers(arg, error):
    with pytest.raises(error, match="argument x"):
        trace(lambda x: x, arg)


# ---------------------------------------------------------------------------
# batches
# ---------------------------------------------------------------------------


def test_a_batch_of_the_wrong_shape_names_the_argument_and_both_shapes():
    model = MLP(3, [2, 1], seed=0)
    program = trace(lambda x, y: (model(x) - y) * (model(x) - y), [0.1, 0.2, 0.3], 1.0)
    with pytest.raises(ValueError, match=r"argument x: expected a batch of shape \(B, 3\).*\(3,\).*got shape \(5, 2\)"):
        program(np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(ValueError, match=r"argument y: expected a batch of shape \(B,\).*got shape \(5, 1\)"):
        program(np.zeros((5, 3)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"different batch sizes \(x: 5, y: 4\)"):
        program(np.zeros((5, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="argument x: sample 2 is not finite"):
        program(np.array([[0.0] * 3, [0.0] * 3, [math.nan, 0.0, 0.0]]), np.zeros(3))
    with pytest.raises(TypeError, match="takes 2 batch argument"):
        program(np.zeros((5, 3)))
    with pytest.raises(TypeError, match="argument y"):
        program(np.zeros((5, 3)), ["a"] * 5)
    with pytest.raises(ValueError, match="empty batch"):
        program(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="reduce must be"):
        program.backward(np.zeros((5, 3)), np.zeros(5), reduce="max")


def test_backward_needs_a_single_output():
    program = trace(lambda x: [x * 2.0, x * 3.0], 1.0)
    with pytest.raises(ValueError, match="one output"):
        program.backward([1.0])


# ---------------------------------------------------------------------------
# replay errors: the scalar engine's message, plus the sample
# ---------------------------------------------------------------------------


def _engine_message(f, *args) -> tuple[type, str]:
    with pytest.raises((ArithmeticError, ValueError)) as info:
        out = f(*[Value(a) for a in args])
        out.backward()
    return type(info.value), str(info.value)


def test_a_domain_error_names_the_sample_as_the_engine_names_the_operation():
    program = trace(lambda x: x.log(), 1.0)
    X = np.ones(20)
    X[17], X[18] = -2.0, -3.0
    with pytest.raises(ValueError) as info:
        program(X)
    assert str(info.value) == "log(-2.0) at sample 17: math domain error"
    kind, message = _engine_message(lambda x: x.log(), -2.0)
    assert kind is ValueError and message == "log(-2.0): math domain error"


def test_the_first_failing_sample_and_operation_are_the_engines():
    def f(x):
        return (1.0 / x) + (x - 10.0).log() * 0.0  # the engine runs 1 / x first, then log

    program = trace(f, 11.0)
    with pytest.raises(ZeroDivisionError) as info:
        program(np.array([11.0, 12.0, 0.0, 5.0]))  # sample 2: 1 / 0 (and log(-10))
    assert str(info.value) == "rdiv_const(0.0, 1.0) at sample 2: division by zero"
    with pytest.raises(ValueError, match=r"^log\(-8.0\) at sample 1: math domain error$"):
        program(np.array([11.0, 2.0, 0.0]))


def test_overflow_is_an_error_naming_the_operation_and_sample_never_a_silent_inf():
    program = trace(lambda x: x.exp(), 1.0)
    with pytest.raises(OverflowError, match=r"^exp\(1000.0\) at sample 3: math range error$"):
        program(np.array([0.0, 1.0, 2.0, 1000.0]))
    product = trace(lambda x, y: x * y, 1.0, 1.0)  # Python's float * float overflows quietly
    with pytest.raises(FloatingPointError, match=r"^mul\(1e\+200, 1e\+200\) at sample 1: overflows to inf$"):
        product([1.0, 1e200], [1.0, 1e200])
    nan = trace(lambda x, y: x * y, 1.0, 1.0)
    assert np.isfinite(nan([0.0], [1e300])).all()


def test_a_gradient_that_overflows_names_the_operation_and_sample():
    p = Value(1.0)
    program = trace(lambda x: (p * x).log(), 1.0)  # d log(u) = 1 / u: inf for u = 1e-310
    X = np.array([1.0, 2.0, 1e-310])
    assert np.isfinite(program(X)).all()  # the forward pass is fine
    p.grad = 0.0
    with pytest.raises(FloatingPointError,
                       match=r"^backward of log\(1e-310\) at sample 2: the gradient of input 0 overflows to inf$"):
        program.backward(X)
    assert p.grad == 0.0  # nothing was added


def test_a_backward_domain_error_is_the_engines_with_the_sample():
    p = Value(2.0)
    program = trace(lambda x: x**p, 1.0)  # d/dp x^p = x^p log x: needs x > 0
    kind, message = _engine_message(lambda x: x**p, -3.0)
    call, _, reason = message.partition(": ")
    with pytest.raises(kind) as info:
        program.backward(np.array([1.0, 2.0, -3.0]))
    assert str(info.value) == f"{call} at sample 2: {reason}"
    assert call == "backward of pow(-3.0, 2.0)"


def test_a_parameter_that_is_not_finite_is_named():
    w = Value(1.0, label="w")
    program = trace(lambda x: w * x, 1.0)
    w.data = math.inf
    with pytest.raises(ValueError, match="parameter 'w'.*inf"):
        program([1.0])


def test_overflow_inside_a_matrix_product_or_a_constant_dot_names_the_node_and_sample():
    w = [Value(10.0), Value(1.0)]
    b = Value(0.0)

    def neuron(x):
        return (dot(w, x, bias=b)).tanh()  # an affine node: weights are parameters

    with pytest.raises(FloatingPointError, match=r"^affine\(10.0, 1.0, 1e\+308, 0.0, … 5 operands\) at sample 2: overflows to inf$"):
        trace(neuron, [0.0, 0.0])(np.array([[0.0, 0.0], [1.0, 1.0], [1e308, 0.0]]))
    with pytest.raises(FloatingPointError, match=r"^dot_const\(1e\+300\) at sample 1: overflows to inf$"):
        trace(lambda x: dot([x], [1e10]).tanh(), 1.0)(np.array([1.0, 1e300]))


def test_a_parameter_only_node_that_fails_fails_at_sample_0():
    w = Value(2.0)
    program = trace(lambda x: w.log() + x, 1.0)  # w.log() does not depend on x: once per batch
    w.data = -3.0
    with pytest.raises(ValueError, match=r"^log\(-3.0\) at sample 0: math domain error$"):
        program(np.ones(5))


def test_per_sample_gradients_that_overflow_only_when_summed_over_the_batch():
    w = Value(1.0)
    program = trace(lambda x: w * x, 1.0)
    program.backward(np.array([1e308]))  # one sample: finite
    with pytest.raises(FloatingPointError, match="overflows when summed over samples 0 to 1"):
        program.backward(np.array([1e308, 1e308]))


def test_program_memory_counts_its_index_arrays():
    params = [Value(0.1 * i) for i in range(6)]
    scattered = trace(lambda x: dot(params[::2], [x, x, x]) + dot(params[::-2], [x, x, x]), 1.0)
    assert scattered.nbytes > 0  # two gathers of three parameters each
    assert isinstance(scattered.nbytes, int)
