"""Why an edit recomputes a product whole: a BLAS works out part of a product in another order than the whole.

    python benchmarks/blas_subsets.py

For the products of the lesson's network (``inp @ w``, ``inp.t() @ out.g``,
``out.g @ w.t()``) at the sizes the benchmarks use, prints whether a few rows or
columns of a product, worked out alone, have the same bits as the same rows or
columns of the whole product, and how long each takes.  Where they differ, an
edit that moves one row (an ``x[b,i]``) or one column (a ``w1[i,j]``) cannot
recompute that row or column alone and stay bit for bit what ``run`` gives
(``gradlab.incremental``).  Asserts nothing: it reports what this machine's BLAS does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import machine, median, seconds  # noqa: E402


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.tobytes() == np.ascontiguousarray(b).tobytes()


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}; {machine()}")
    for batch, n_in, n_out, dtype in [(4, 3, 4, "float64"), (64, 784, 50, "float64"), (1000, 784, 50, "float64"),
                                      (50_000, 784, 50, "float32")]:
        x = rng.standard_normal((batch, n_in)).astype(dtype)
        w = rng.standard_normal((n_in, n_out)).astype(dtype)
        g = rng.standard_normal((batch, n_out)).astype(dtype)
        whole = x @ w
        t_whole = median(seconds(lambda x=x, w=w: x @ w, 3))
        found = []
        for rows in (1, 2, 17):
            if rows <= batch:
                found.append((f"{rows} row{'s' * (rows > 1)} of x @ w", same(x[:rows] @ w, whole[:rows])))
        for cols in (1, 2):
            found.append((f"{cols} column{'s' * (cols > 1)} of x @ w", same(x @ np.ascontiguousarray(w[:, :cols]), whole[:, :cols])))
        found.append(("1 column of x.t() @ g", same(x.T @ np.ascontiguousarray(g[:, :1]), (x.T @ g)[:, :1])))
        found.append(("1 row of g @ w.t()", same(g[:1] @ w.T, (g @ w.T)[:1])))
        t_row = median(seconds(lambda x=x, w=w: x[:1] @ w, 3))
        print(f"{batch} × {n_in} → {n_out}, {dtype}: whole x @ w {t_whole * 1e3:.2f} ms, one row {t_row * 1e3:.3f} ms")
        for what, bits in found:
            print(f"    {what:<28} {'the same bits' if bits else 'DIFFERENT bits'}")


if __name__ == "__main__":
    main()
