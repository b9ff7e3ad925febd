#!/usr/bin/env python3
"""torch.nn.init.orthogonal_ in float64 NumPy, written independently of the engine, for the
`orthogonal` initialiser's test in test/nn-layers.test.ts.

Reads a list of {"matrix": flat row-major (rows, cols), "rows", "cols", "gain"} on stdin, writes
the list of their weights, each flat row-major (rows, cols). torch's procedure on a weight (out, in), applied here to
the engine's (in, out) layout, which is its transpose: QR of the matrix (of its transpose when it is
wide), Q's columns multiplied by the signs of R's diagonal, transposed back, times the gain.
"""
import json
import sys

import numpy as np


def orthogonal(req):
    a = np.array(req["matrix"], dtype=np.float64).reshape(req["rows"], req["cols"])
    wide = a.shape[0] < a.shape[1]
    if wide:
        a = a.T
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if wide:
        q = q.T
    return (q * req["gain"]).ravel().tolist()


json.dump([orthogonal(req) for req in json.load(sys.stdin)], sys.stdout)
