#!/usr/bin/env python3
"""Independent reference for influence scoring (precompiles/src/influence.rs).

Usage: influence_ref.py DIR. DIR holds meta.txt ("n d nq" then one "top_k top_points" line per
query; top_k 0 keeps every point), contributors.bin (n x 20-byte addresses), points.bin
(n x d int8) and queries.bin (nq x d int8). For each query, prints

    Q <query index>
    S <address hex>:<bps> ...        shares, bps descending then address ascending
    T <point index>:<score> ...      top points, score descending then index ascending

Scores are exact: int64 dot products with numpy, negatives clipped to 0. Shares use Python's
unbounded integers: floor(w * 10000 / total), then the missing points go to the largest
remainders, ties to the lower address; zero shares are dropped; all scores 0 prints empty lines.
"""
import sys

import numpy as np


def main(d):
    with open(f"{d}/meta.txt") as f:
        lines = f.read().split("\n")
    n, dim, nq = (int(x) for x in lines[0].split())
    queries_meta = [tuple(int(x) for x in lines[1 + q].split()) for q in range(nq)]
    raw = np.fromfile(f"{d}/contributors.bin", dtype=np.uint8).reshape(n, 20)
    owners = [bytes(row).hex() for row in raw]
    points = np.fromfile(f"{d}/points.bin", dtype=np.int8).reshape(n, dim).astype(np.int64)
    queries = np.fromfile(f"{d}/queries.bin", dtype=np.int8).reshape(nq, dim).astype(np.int64)
    out = []
    for q, (top_k, top_points) in enumerate(queries_meta):
        scores = np.maximum(points @ queries[q], 0)
        # Best first: score descending, index ascending (lexsort: last key is primary).
        order = np.lexsort((np.arange(n), -scores))
        order = [int(i) for i in order if scores[i] > 0]
        kept = order[:top_k] if top_k > 0 else order
        weights = {}
        for i in kept:
            weights[owners[i]] = weights.get(owners[i], 0) + int(scores[i])
        total = sum(weights.values())
        shares = []
        if total > 0:
            parts = [[a, w * 10000 // total, w * 10000 % total] for a, w in weights.items()]
            missing = 10000 - sum(p[1] for p in parts)
            parts.sort(key=lambda p: (-p[2], p[0]))
            for p in parts[:missing]:
                p[1] += 1
            shares = sorted(((a, b) for a, b, _ in parts if b > 0), key=lambda s: (-s[1], s[0]))
        top = kept[: min(top_points, 16)] if total > 0 else []
        out.append(f"Q {q}")
        out.append("S " + " ".join(f"{a}:{b}" for a, b in shares))
        out.append("T " + " ".join(f"{i}:{int(scores[i])}" for i in top))
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
