"""graphgrad's neural networks, built on `autograd.Value` (PyTorch-shaped names)."""

import autograd

# `autograd` is also HIPS autograd's import name: make sure this is graphgrad's engine.
if not (hasattr(autograd, "Value") and hasattr(autograd, "gmath")):
    raise ImportError(
        "nn needs graphgrad's autograd; another package named autograd (HIPS autograd?) is "
        f"installed at {getattr(autograd, '__file__', None) or autograd!r} and is imported "
        "instead. Both are imported as `autograd`, so they cannot share an environment: "
        "uninstall the other one (pip uninstall autograd) or use a separate virtualenv."
    )

# nn.onnx imports the onnx package only when it exports
from . import losses, onnx, optim  # noqa: E402
from .data import DataLoader, one_hot  # noqa: E402
from .layers import MLP, Layer, Neuron  # noqa: E402
from .module import Module, load  # noqa: E402
from .train import fit, predict  # noqa: E402

__all__ = ["Module", "Neuron", "Layer", "MLP", "losses", "optim", "onnx", "load", "DataLoader",
           "one_hot", "fit", "predict"]
