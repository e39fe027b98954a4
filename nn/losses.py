"""Loss functions and softmax, as in `torch.nn.functional`.

Each loss takes one sample (a prediction and its target) or a batch (two lists) and
returns a Value; a batch gives the mean, summed with one fused `add_n` node rather than
a chain of additions. Exponentials go through log-sum-exp, one node that shifts by the
largest logit itself, so logits like [1000, 0] stay finite, in a traced program too.

Targets may be numbers or Values: in a traced per-sample loss (`autograd.trace`) they
are Values, and their values are not checked (a traced program cannot branch on data).
Wrong types raise TypeError, wrong values (sizes, ranges) ValueError.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Value, add_n, dot
from autograd import logsumexp as _logsumexp

Scalar = Value | float


def _is_batch(x: Any) -> bool:
    """A list, tuple or numpy array of samples (not a string, not a single number)."""
    if isinstance(x, (str, bytes)):
        return False
    if type(x).__module__ == "numpy":
        return getattr(x, "ndim", 0) > 0
    return isinstance(x, Sequence)


def _number(name: str, what: str, x: Any) -> float:
    """A plain number as float: TypeError for anything else (bools too), ValueError if not finite."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: {what} must be numbers or Values, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name}: {what} must be finite, got {x!r}")
    return x


def _value(name: str, x: Any) -> Value:
    """A prediction as a Value (a plain number becomes a leaf)."""
    return x if isinstance(x, Value) else Value(_number(name, "predictions", x))


def _target(name: str, t: Any) -> Value | float:
    """A target: a Value as it is (traced), a plain number checked."""
    return t if isinstance(t, Value) else _number(name, "targets", t)


def _pairs(name: str, preds: Any, targets: Any) -> tuple[list[Any], list[Any]]:
    """Predictions and targets as two equal-length flat lists; ValueError naming the sizes.

    A batch may hold samples with several outputs (lists); the mean is then over every
    output of every sample, as torch's reduction="mean".
    """
    if not _is_batch(preds) and not _is_batch(targets):
        return [preds], [targets]
    if not (_is_batch(preds) and _is_batch(targets)):
        kind = "a list" if _is_batch(preds) else "one value"
        raise ValueError(f"{name}: predictions are {kind} but targets are not")
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not len(preds):
        raise ValueError(f"{name}: empty batch")
    ps: list[Any] = []
    ts: list[Any] = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        if _is_batch(p) or _is_batch(t):  # a sample with several outputs: flatten it
            n_p = len(p) if _is_batch(p) else 1
            n_t = len(t) if _is_batch(t) else 1
            if not (_is_batch(p) and _is_batch(t)) or n_p != n_t:
                raise ValueError(f"{name}: sample {i} has {n_p} predictions but {n_t} targets")
            ps.extend(p)
            ts.extend(t)
        else:
            ps.append(p)
            ts.append(t)
    return ps, ts


def _mean(terms: list[Value]) -> Value:
    """The mean of per-sample losses as one sum node and one division."""
    return terms[0] if len(terms) == 1 else add_n(terms) / len(terms)


# ---------------------------------------------------------------------------
# Regression and binary classification
# ---------------------------------------------------------------------------


def mse(preds: Any, targets: Any) -> Value:
    """Mean squared error: mean((p - t)^2) over a batch, or (p - t)^2 for one sample.

    Targets may be numbers or Values (then gradients flow into them too).
    """
    ps, ts = _pairs("mse", preds, targets)
    terms = []
    for p, t in zip(ps, ts):
        d = _value("mse", p) - _target("mse", t)
        terms.append(d * d)
    return _mean(terms)


def hinge(scores: Any, labels: Any) -> Value:
    """Hinge loss mean(max(0, 1 - y s)) for labels y of +1 or -1 (as in an SVM)."""
    ss, ys = _pairs("hinge", scores, labels)
    terms = []
    for s, y in zip(ss, ys):
        s, y = _value("hinge", s), _target("hinge", y)
        if isinstance(y, Value):  # traced: 1 - y s
            terms.append((1.0 - s * y).relu())
            continue
        if y not in (1.0, -1.0):
            raise ValueError(f"hinge: labels must be +1 or -1, got {y!r}")
        terms.append((s * -y + 1.0).relu())  # max(0, 1 - y s): zero once y s >= 1
    return _mean(terms)


def bce_with_logits(logits: Any, targets: Any) -> Value:
    """Binary cross-entropy of sigmoid(z) against t in [0, 1], computed from the logit z.

    -t log σ(z) - (1 - t) log(1 - σ(z)) simplifies to softplus(z) - t z, which is
    finite for any z (softplus is computed stably).
    """
    zs, ts = _pairs("bce_with_logits", logits, targets)
    cs: list[Any] = []
    for t in ts:
        t = _target("bce_with_logits", t)
        if not isinstance(t, Value) and not 0.0 <= t <= 1.0:
            raise ValueError(f"bce_with_logits: targets must be in [0, 1], got {t!r}")
        cs.append(-t)
    zs = [_value("bce_with_logits", z) for z in zs]
    # Σ softplus(z_i) + Σ -t_i z_i: one sum node and one dot node for the whole batch
    total = add_n([*(z.softplus() for z in zs), dot(zs, cs)])
    return total / len(zs) if len(zs) > 1 else total


# ---------------------------------------------------------------------------
# Softmax and multi-class cross-entropy
# ---------------------------------------------------------------------------


def _logits(name: str, logits: Any) -> list[Value]:
    if not _is_batch(logits):
        raise TypeError(f"{name}: expected a list of logits, got {type(logits).__name__}")
    if not len(logits):
        raise ValueError(f"{name}: expected a non-empty list of logits")
    return [_value(name, z) for z in logits]


def logsumexp(logits: Sequence[Scalar]) -> Value:
    """log Σ exp(z_i) as one node, shifted by max z_i inside it (never overflows)."""
    return _logsumexp(_logits("logsumexp", logits))


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """log softmax(z)_i = z_i - logsumexp(z), stable for any logits."""
    zs = _logits("log_softmax", logits)
    minus_lse = -_logsumexp(zs)
    return [z + minus_lse for z in zs]


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """exp(z_i - logsumexp(z)): every exponent is <= 0, so no exponential overflows."""
    return [v.exp() for v in log_softmax(logits)]


def _class_index(target: Any, n: int) -> int:
    k = int(target)
    if not 0 <= k < n:
        raise ValueError(f"cross_entropy: target {k} out of range for {n} classes")
    return k


def _probabilities(target: Any, n: int) -> list[Value | float]:
    """A target over the classes (one-hot or probabilities): numbers checked, Values kept."""
    if len(target) != n:
        raise ValueError(f"cross_entropy: {n} logits but a target of {len(target)} class probabilities")
    ts = [_target("cross_entropy", t) for t in target]
    for t in ts:
        if not isinstance(t, Value) and not 0.0 <= t <= 1.0:
            raise ValueError(f"cross_entropy: class probabilities must be in [0, 1], got {t!r}")
    return ts


def _cross_entropy_one(logits: Any, target: Any) -> Value:
    zs = _logits("cross_entropy", logits)
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        k = _class_index(target, len(zs))
        return _logsumexp(zs) - zs[k]  # -log softmax(z)_k
    if not _is_batch(target):
        raise TypeError(
            f"cross_entropy: a target is a class index (int) or a list of class probabilities "
            f"(one-hot, in a traced program), got {type(target).__name__} {target!r}"
        )
    ts = _probabilities(target, len(zs))
    lse = _logsumexp(zs)
    # -Σ t_i log softmax(z)_i = Σ t_i (lse - z_i): every term >= 0, so nothing cancels
    pairs = [(lse - z, t) for z, t in zip(zs, ts) if isinstance(t, Value) or t != 0.0]
    if not pairs:  # an all-zero target: a loss of 0 that still belongs to the graph
        return lse * 0.0
    return dot([d for d, _ in pairs], [t for _, t in pairs])


def cross_entropy(logits: Any, target: Any) -> Value:
    """Softmax cross-entropy from logits: -Σ target_i log softmax(z)_i.

    One sample: `logits` is a list of scores, `target` a class index, or a list of class
    probabilities (one-hot, as torch accepts; the form a traced program needs). A batch:
    a list of such lists and a list of targets; returns the mean.
    """
    if not (_is_batch(logits) and len(logits) and _is_batch(logits[0])):
        return _cross_entropy_one(logits, target)
    if not _is_batch(target):
        raise TypeError(f"cross_entropy: a batch of logits needs a list of targets, got {target!r}")
    if len(logits) != len(target):
        raise ValueError(f"cross_entropy: {len(logits)} samples of logits but {len(target)} targets")
    return _mean([_cross_entropy_one(z, k) for z, k in zip(logits, target)])
