"""`python -m bench.triage`: see bench/triage/run.py."""

import os
import sys

# One core, as the targets say: BLAS must not fan out before NumPy loads.
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")

from bench.triage.run import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
