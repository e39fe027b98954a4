"""`python -m autograd "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg` (see autograd/cli.py)."""

from .cli import main

raise SystemExit(main())
