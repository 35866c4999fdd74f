"""Compares the gas figures forge just wrote (snapshots/*.json) with the committed ones.

Usage: gas-compare.py COMMITTED_DIR MEASURED_DIR FILTER_ARGS_COUNT. With no filter every
committed figure must have been measured again with the same value; a filtered run is checked
on the figures it measured.
"""
import json
import pathlib
import sys


def load(directory):
    out = {}
    for path in sorted(pathlib.Path(directory).glob("*.json")):
        for name, value in json.loads(path.read_text()).items():
            out[f"{path.stem}: {name}"] = value
    return out


def main():
    committed, measured, filtered = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3]) > 0
    problems = []
    for key, value in sorted(measured.items()):
        if key not in committed:
            problems.append(f"{key}: {value} (new, not in the committed snapshot)")
        elif committed[key] != value:
            problems.append(f"{key}: {committed[key]} -> {value}")
    if not filtered:
        problems += [f"{key}: {value} (no longer measured)" for key, value in sorted(committed.items()) if key not in measured]
    for line in problems:
        print(f"gas snapshot: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
