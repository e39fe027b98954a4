"""Loss functions and softmax, as in `torch.nn.functional`.

Each loss takes one sample (a prediction and its target) or a batch (two lists) and
returns a Value; a batch gives the mean, summed with one fused `add_n` node rather
than a chain of additions. Exponentials go through log-sum-exp, so logits like
[1000, 0] stay finite.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Value, add_n, dot

Scalar = Value | float


def _is_batch(x: Any) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


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
    if not preds:
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


def _target(name: str, t: Any) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise ValueError(f"{name}: targets must be numbers, got {type(t).__name__} {t!r}")
    return float(t)


def _mean(terms: list[Any]) -> Value:
    """The mean of per-sample losses as one sum node and one division."""
    total = terms[0] if len(terms) == 1 else add_n(terms) / len(terms)
    return total if isinstance(total, Value) else Value(total)


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
        d = p - (t if isinstance(t, Value) else _target("mse", t))
        terms.append(d * d)
    return _mean(terms)


def hinge(scores: Any, labels: Any) -> Value:
    """Hinge loss mean(max(0, 1 - y s)) for labels y of +1 or -1 (as in an SVM)."""
    ss, ys = _pairs("hinge", scores, labels)
    terms = []
    for s, y in zip(ss, ys):
        if isinstance(y, bool) or y not in (1, -1):
            raise ValueError(f"hinge: labels must be +1 or -1, got {y!r}")
        s = s if isinstance(s, Value) else Value(s)
        terms.append((s * -float(y) + 1.0).relu())  # max(0, 1 - y s): zero once y s >= 1
    return _mean(terms)


def bce_with_logits(logits: Any, targets: Any) -> Value:
    """Binary cross-entropy of sigmoid(z) against t in [0, 1], computed from the logit z.

    -t log σ(z) - (1 - t) log(1 - σ(z)) simplifies to softplus(z) - t z, which is
    finite for any z (softplus is computed stably).
    """
    zs, ts = _pairs("bce_with_logits", logits, targets)
    cs = []
    for t in ts:
        t = _target("bce_with_logits", t)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"bce_with_logits: targets must be in [0, 1], got {t!r}")
        cs.append(-t)
    zs = [z if isinstance(z, Value) else Value(z) for z in zs]
    # Σ softplus(z_i) + Σ -t_i z_i: one sum node and one dot node for the whole batch
    total = add_n([*(z.softplus() for z in zs), dot(zs, cs)])
    return total / len(zs) if len(zs) > 1 else total


# ---------------------------------------------------------------------------
# Softmax and multi-class cross-entropy
# ---------------------------------------------------------------------------


def _logits(name: str, logits: Any) -> list[Value]:
    if not _is_batch(logits) or not logits:
        raise ValueError(f"{name}: expected a non-empty list of logits, got {logits!r}")
    return [z if isinstance(z, Value) else Value(z) for z in logits]


def logsumexp(logits: Sequence[Scalar]) -> Value:
    """log Σ exp(z_i), computed as m + log Σ exp(z_i - m) with m = max z_i (never overflows)."""
    zs = _logits("logsumexp", logits)
    m = max(z.data for z in zs)  # a constant shift: it cancels out of the gradient
    return add_n([(z - m).exp() for z in zs]).log() + m


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """log softmax(z)_i = z_i - logsumexp(z), stable for any logits."""
    zs = _logits("log_softmax", logits)
    lse = logsumexp(zs)
    return [z - lse for z in zs]


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """exp(z_i) / Σ exp(z_j), shifted by max z so that no exponential overflows."""
    zs = _logits("softmax", logits)
    m = max(z.data for z in zs)
    es = [(z - m).exp() for z in zs]
    total = add_n(es)
    return [e / total for e in es]


def _class_index(target: Any, n: int) -> int:
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ValueError(f"cross_entropy: target must be a class index, got {target!r}")
    k = int(target)
    if not 0 <= k < n:
        raise ValueError(f"cross_entropy: target {k} out of range for {n} classes")
    return k


def _cross_entropy_one(logits: Any, target: Any) -> Value:
    zs = _logits("cross_entropy", logits)
    k = _class_index(target, len(zs))
    return logsumexp(zs) - zs[k]  # -log softmax(z)_k


def cross_entropy(logits: Any, target: Any) -> Value:
    """Softmax cross-entropy from logits: -log softmax(z)[target].

    One sample: `logits` is a list of scores and `target` a class index. A batch:
    a list of such lists and a list of indices; returns the mean.
    """
    if not _is_batch(target):
        return _cross_entropy_one(logits, target)
    if not _is_batch(logits) or len(logits) != len(target):
        n = len(logits) if _is_batch(logits) else 1
        raise ValueError(f"cross_entropy: {n} samples of logits but {len(target)} targets")
    if not target:
        raise ValueError("cross_entropy: empty batch")
    return _mean([_cross_entropy_one(z, k) for z, k in zip(logits, target)])
