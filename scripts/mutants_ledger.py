#!/usr/bin/env python3
"""Merges one cargo-mutants run into the ledger (scripts/mutants).

    mutants_ledger.py <mutants.out> <ledger dir> <label> <start epoch s> <commit>

The ledger (docs/mutants/{caught,missed,timeout,unviable}.txt) holds every
mutant any run has judged, by name, under its latest outcome: a mutant this
run judged is removed from the other lists and added to its own. An
interrupted run contributes what it finished. One line with the run's
counts and seconds per mutant is appended to runs.md.
"""

import json
import os
import sys
import time

KINDS = ["caught", "missed", "timeout", "unviable"]

HEADER = (
    "# Mutation runs of `shared` (scripts/mutants)\n\n"
    "One line per run, appended by `scripts/mutants`. *build*, *test*: mean "
    "seconds per mutant of each phase; *wall/mutant*: the run's wall time "
    "(baseline included) divided by its mutants, what a mutant really cost "
    "with jobs and load; *load*: 1-minute load average when it ended.\n\n"
    "| ended | commit | arguments | mutants | caught | missed | timeout | unviable "
    "| build | test | wall/mutant | load |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
)


def names(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line for line in f.read().splitlines() if line]


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def main():
    res, ledger, label, started, commit = sys.argv[1:]
    latest = {name: kind for kind in KINDS for name in names(os.path.join(res, f"{kind}.txt"))}
    book = {name: kind for kind in KINDS for name in names(os.path.join(ledger, f"{kind}.txt"))}
    book.update(latest)
    for kind in KINDS:
        with open(os.path.join(ledger, f"{kind}.txt"), "w") as f:
            f.writelines(n + "\n" for n in sorted(k for k, v in book.items() if v == kind))

    with open(os.path.join(res, "outcomes.json")) as f:
        outcomes = [o for o in json.load(f)["outcomes"] if o["scenario"] != "Baseline"]
    build = [p["duration"] for o in outcomes for p in o["phase_results"] if p["phase"] == "Build"]
    test = [p["duration"] for o in outcomes for p in o["phase_results"] if p["phase"] == "Test"]
    counts = {k: sum(1 for v in latest.values() if v == k) for k in KINDS}
    wall = time.time() - float(started)
    per = wall / len(outcomes) if outcomes else 0.0
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {commit} | `{label}` "
        f"| {len(outcomes)} | {counts['caught']} | {counts['missed']} | {counts['timeout']} "
        f"| {counts['unviable']} | {mean(build):.0f} s | {mean(test):.1f} s | {per:.0f} s "
        f"| {os.getloadavg()[0]:.1f} |\n"
    )
    runs = os.path.join(ledger, "runs.md")
    if not os.path.exists(runs):
        with open(runs, "w") as f:
            f.write(HEADER)
    with open(runs, "a") as f:
        f.write(line)
    print(line, end="")


if __name__ == "__main__":
    main()
