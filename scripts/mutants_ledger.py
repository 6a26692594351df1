#!/usr/bin/env python3
"""The mutation ledger of `shared` (scripts/mutants; docs/mutants/README.md).

A mutant is recorded under a key that does not move when code above it
moves: its file, function, genre (cargo-mutants' kind of change), the change
itself as cargo-mutants words it without the line:col ("replace && with ||
in check"), and which occurrence of that same change in that same function
it is (#1, #2, … in source order; only a second identical change in the same
function needs it). One mutant per line, the five fields tab-separated.

    mutants_ledger.py keys <listing.json> <ledger dir> <out.txt>
        Writes the cargo-mutants names (of the listing, i.e. of the source
        as it is now) whose key the ledger holds as caught or unviable:
        cargo-mutants `--iterate` skips those.
    mutants_ledger.py prune <listing.json> <ledger dir>
        Drops the survivors the listing no longer has (gone from the code, or
        excluded in .cargo/mutants.toml with their reason).
    mutants_ledger.py survivors <listing.json> <ledger dir>
        Prints cargo-mutants arguments, one a line, that select exactly the
        mutants the ledger holds as missed or timed out (`--re` with each
        one's current name, `--file` with their files).
    mutants_ledger.py merge <mutants.out> <listing.json> <ledger dir>
            [<label> <start epoch s> <commit>]
        Merges a run's outcomes (also a run still going, or interrupted)
        into the ledger: a mutant moves to the list of its latest outcome.
        With a label, one line of the run's figures is appended to runs.md
        (only once per run: at its end).
    mutants_ledger.py migrate <listing.json> <ledger dir>
        Rewrites a ledger of line:col names (the format before 2026-12-01)
        into keys, matching each name to the listing by file and change.

<listing.json> is `cargo mutants --list --json` of the whole package, taken
from the same source as the run (the occurrence numbers need every mutant of
a function, also those a run skips).
"""

import json
import os
import re
import sys
import time

KINDS = ["caught", "missed", "timeout", "unviable"]
SUMMARY = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Timeout": "timeout",
    "Unviable": "unviable",
}

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

NAME = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<what>.*)$")


def what(name):
    """The change as cargo-mutants words it, without file:line:col."""
    m = NAME.match(name)
    if not m:
        raise ValueError(f"not a cargo-mutants name: {name!r}")
    return m.group("what")


def function(m):
    f = m.get("function")
    return f["function_name"] if f else "-"


def keyed(listing):
    """{name: key} for every mutant of a listing (cargo mutants --list --json)."""
    groups = {}
    for m in listing:
        head = (m["file"], function(m), m["genre"], what(m["name"]))
        groups.setdefault(head, []).append(m)
    out = {}
    for head, ms in groups.items():
        ms.sort(key=lambda m: (m["span"]["start"]["line"], m["span"]["start"]["column"]))
        for n, m in enumerate(ms, 1):
            out[m["name"]] = "\t".join(head) + f"\t#{n}"
    return out


def load(path):
    with open(path) as f:
        return json.load(f)


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line for line in f.read().splitlines() if line]


def read_book(ledger):
    return {key: kind for kind in KINDS for key in lines(os.path.join(ledger, f"{kind}.txt"))}


def write_book(ledger, book):
    for kind in KINDS:
        path = os.path.join(ledger, f"{kind}.txt")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.writelines(k + "\n" for k in sorted(k for k, v in book.items() if v == kind))
        os.replace(tmp, path)


def keys_cmd(listing_path, ledger, out_path):
    names = keyed(load(listing_path))
    book = read_book(ledger)
    done = sorted(n for n, k in names.items() if book.get(k) in ("caught", "unviable"))
    with open(out_path, "w") as f:
        f.writelines(n + "\n" for n in done)
    print(f"{len(done)} of {len(names)} mutants already caught or unviable")


def prune_cmd(listing_path, ledger):
    """A survivor no longer in the code (or now excluded in
    .cargo/mutants.toml with its reason) is no longer a gap: dropped. Run
    with the listing of the newest source (scripts/mutants does, before each
    run), never with an older run's."""
    present = set(keyed(load(listing_path)).values())
    book = read_book(ledger)
    gone = [k for k, v in book.items() if v in ("missed", "timeout") and k not in present]
    for k in gone:
        del book[k]
        print("ledger: no longer a survivor (gone from the code or excluded): " + k.replace("\t", " | "))
    write_book(ledger, book)


def survivors_cmd(listing_path, ledger):
    listing = load(listing_path)
    names = keyed(listing)
    book = read_book(ledger)
    left = sorted(n for n, k in names.items() if book.get(k) in ("missed", "timeout"))
    # cargo-mutants 27.1 applies neither --re nor --exclude-re to "delete
    # field … from struct" mutants: they would all come along. Naming the
    # survivors' files keeps those of other files out.
    for f in sorted({m["file"] for m in listing if m["name"] in left}):
        print("--file")
        print(f)
    for n in left:
        # Rust's regex refuses escapes of characters that are not special
        # (Python's re.escape escapes spaces).
        print("--re")
        print("^" + re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", n) + "$")


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def merge_cmd(res, listing_path, ledger, label=None, started=None, commit=None):
    path = os.path.join(res, "outcomes.json")
    if not os.path.exists(path):
        return
    outcomes = [o for o in load(path)["outcomes"] if o["scenario"] != "Baseline"]
    names = keyed(load(listing_path))
    latest = {}
    for o in outcomes:
        kind = SUMMARY.get(o["summary"])
        mutant = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if kind is None or mutant is None:
            continue
        key = names.get(mutant["name"])
        if key is None:
            # The listing is taken from the same source as the run; a name
            # missing from it means the two disagree, and a wrong key would
            # silently mark another mutant.
            sys.exit(f"mutants_ledger: {mutant['name']} is not in {listing_path}")
        latest[key] = kind
    book = read_book(ledger)
    book.update(latest)
    write_book(ledger, book)
    if label is None:
        print(f"ledger: {len(latest)} outcomes of the run so far merged")
        return

    build = [p["duration"] for o in outcomes for p in o["phase_results"] if p["phase"] == "Build"]
    test = [p["duration"] for o in outcomes for p in o["phase_results"] if p["phase"] == "Test"]
    counts = {k: sum(1 for v in latest.values() if v == k) for k in KINDS}
    wall = time.time() - float(started)
    per = wall / len(outcomes) if outcomes else 0.0
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | {commit} | `{label}` "
        f"| {len(latest)} | {counts['caught']} | {counts['missed']} | {counts['timeout']} "
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


def migrate_cmd(listing_path, ledger):
    """Old names (file:line:col: what) → keys. A name is matched to the
    listing by its file and change; where a file has several mutants with
    the same change, the old and the current ones are paired in source order
    when their numbers agree, else the old ones are dropped (judged again)."""
    listing = load(listing_path)
    names = keyed(listing)
    current = {}
    for m in listing:
        current.setdefault((m["file"], what(m["name"])), []).append(m)
    for ms in current.values():
        ms.sort(key=lambda m: (m["span"]["start"]["line"], m["span"]["start"]["column"]))
    old = {}
    for kind in KINDS:
        for name in lines(os.path.join(ledger, f"{kind}.txt")):
            if "\t" in name:
                old[("key", name)] = kind  # already a key
                continue
            m = NAME.match(name)
            old.setdefault((m.group("file"), m.group("what")), []).append(
                (int(m.group("line")), int(m.group("col")), kind)
            )
    book, dropped = {}, []
    for head, entries in old.items():
        if head[0] == "key":
            book[head[1]] = entries
            continue
        entries.sort()
        cands = current.get(head, [])
        if len(cands) == len(entries):
            for (_, _, kind), m in zip(entries, cands):
                book[names[m["name"]]] = kind
        else:
            dropped += [f"{head[0]}:{ln}:{col}: {head[1]} ({kind}; {len(cands)} now)" for ln, col, kind in entries]
    write_book(ledger, book)
    print(f"migrated {len(book)} mutants; dropped {len(dropped)} (no longer in the code, or ambiguous):")
    for d in dropped:
        print("  " + d)


def main():
    cmd, *args = sys.argv[1:]
    if cmd == "keys":
        keys_cmd(*args)
    elif cmd == "prune":
        prune_cmd(*args)
    elif cmd == "survivors":
        survivors_cmd(*args)
    elif cmd == "merge":
        merge_cmd(*args)
    elif cmd == "migrate":
        migrate_cmd(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
