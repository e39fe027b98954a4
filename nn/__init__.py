"""graphgrad's neural networks, built on `autograd.Value` (PyTorch-shaped names)."""
