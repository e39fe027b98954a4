"""graphgrad's reference workloads, timed against micrograd 0.1.0 in the same process.

Run `python -m benchmarks` (`--quick` for a smoke run, `--help` for the rest).
This file stays empty of imports: `python -m benchmarks.memory` starts from it in a
fresh process whose memory is being measured.
"""
