"""The constants of the method (METHOD.md §4) that the figures and a report's provenance rest on.

Plain values, no numpy, pandas or scipy: `reports.fingerprint` puts them into the input
fingerprint of every report request, and a web process that only queues a job must not
load the statistics stack to do so (BENCHMARKS.md, "Load"). `reports.aggregation` uses them.
"""

CONFIDENCE = 0.95

# METHOD.md §4.1 constants.
RAKE_TOL = 1e-6
RAKE_MAX_ITER = 50
TRIM_BOUNDS = (0.3, 3.0)
TRIM_MAX_ROUNDS = 10
RAKE_DIMENSIONS = ("age_group", "sex")

WEIGHTED = True  # METHOD.md §4.1: reports show weighted figures
