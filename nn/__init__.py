"""graphgrad's neural networks, built on `autograd.Value` (PyTorch-shaped names)."""

from . import losses, optim
from .io import load
from .layers import MLP, Layer, Neuron
from .module import Module

__all__ = ["Module", "Neuron", "Layer", "MLP", "losses", "optim", "load"]
