#!/usr/bin/env python3
"""
The plain any-8-gram decontamination rule in pure standard-library Python, as in open-r1's
scripts/decontaminate.py (huggingface/open-r1): lower-case, strip, collapse whitespace, split into
words, the word 8-grams of the benchmark problems form a lookup, and a row is contaminated when any
of its word 8-grams is in the lookup. It is the reference the issue measures curate against
("the plain 8-gram rule in Python runs 10k-50k rows/s"); bench/decontam-bench.mjs writes the rows it
times curate on to bench/out/ and runs this script on the same file.

Two modes, both timed on the same in-memory rows (JSON parsing is not timed):
  merged  one lookup for all benchmarks, each row's 8-gram set built once, any() stops at the
          first hit (the fastest faithful form; the one compared against)
  openr1  open-r1's loop literally: one lookup per benchmark, and for each benchmark every row's
          8-gram set is rebuilt and `any(set(ngram in lookup for ngram in ngrams))` evaluated

Usage: python3 bench/decontam_plain8.py ROWS.jsonl [--benchmarks-dir DIR] [--mode merged|openr1|both]
ROWS.jsonl holds one JSON string per line (the row's text). Prints one line per mode:
rows, rows/s wall, rows per CPU-second, flagged.

End to end (the reference for `curate decontaminate`, bench/decontam-cli-bench.mjs):
  python3 bench/decontam_plain8.py ROWS.jsonl --procs N [--field problem] [--chunksize 1000] [--out FILE]
reads the file line by line, parses each line (a JSON object's --field, or a JSON string), applies
the merged-lookup rule and writes {"id": ...} for each flagged row, in input order. --procs 1 runs in
this process; --procs N > 1 parses and matches in a multiprocessing.Pool of N processes (fork: the
lookup is built once, before the pool) fed lines in chunks by imap, which keeps the order. Time the
whole process from outside (bench/decontam-cli-bench.mjs uses /usr/bin/time); the line printed
times from opening the file to the last write.
"""
import argparse
import collections
import json
import multiprocessing
import os
import sys
import time

NAMES = ["math500", "aime2024", "aime2025", "amc2023"]


def normalize_string(text: str) -> str:
    """Basic string normalization (open-r1): lower-case, strip, single spaces."""
    text = text.lower().strip()
    return " ".join(text.split())


def word_ngrams(text: str, n: int) -> list:
    words = text.split()
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def build_ngram_lookup(documents, ngram_size: int = 8) -> dict:
    lookup = collections.defaultdict(set)
    for doc_id, document in enumerate(documents):
        for ngram in word_ngrams(normalize_string(document), ngram_size):
            lookup[ngram].add(doc_id)
    return lookup


def build_ngram_single(document: str, ngram_size: int = 8) -> set:
    return set(word_ngrams(normalize_string(document), ngram_size))


def load_benchmark(path: str) -> list:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                out.append(str(row.get("problem") if row.get("problem") is not None else row.get("question")))
    return out


def timed(label, fn, rows):
    warm = min(5000, len(rows))
    for t in rows[:warm]:
        fn(t)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    flagged = 0
    for t in rows:
        if fn(t):
            flagged += 1
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    print(
        f"python plain any-8-gram ({label}) {len(rows):>7} rows  {len(rows) / wall:>8.0f} rows/s wall  "
        f"{len(rows) / cpu:>8.0f} rows/CPU-s  flagged {flagged}"
    )
    return len(rows) / wall, len(rows) / cpu, flagged


# set before the pool forks (the workers inherit them)
E2E = {"lookup": None, "n": 8, "field": "problem"}


def check_line(line: str):
    """One input line: None if blank, else (flagged, id or None)."""
    if not line.strip():
        return None
    v = json.loads(line)
    if isinstance(v, dict):
        text, row_id = v[E2E["field"]], v.get("id")
    else:
        text, row_id = v, None
    lookup = E2E["lookup"]
    hit = any(g in lookup for g in build_ngram_single(text, E2E["n"]))
    return (True, row_id) if hit else (False, None)


def end_to_end(args, benchmarks) -> None:
    E2E["lookup"] = build_ngram_lookup([p for name in NAMES for p in benchmarks[name]], args.ngram)
    E2E["n"] = args.ngram
    E2E["field"] = args.field
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    rows = flagged = 0
    pool = multiprocessing.Pool(args.procs) if args.procs > 1 else None
    with open(args.rows, encoding="utf-8") as f, open(args.out or os.devnull, "w", encoding="utf-8") as out:
        results = pool.imap(check_line, f, chunksize=args.chunksize) if pool else map(check_line, f)
        for r in results:
            if r is None:
                continue
            rows += 1
            if r[0]:
                flagged += 1
                out.write(json.dumps({"id": r[1]}) + "\n")
    if pool:
        pool.close()
        pool.join()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # this process only; the pool's CPU is counted from outside
    print(
        f"python plain any-8-gram (merged lookup, end to end, {args.procs} proc{'s' if args.procs > 1 else ''}) {rows:>7} rows  "
        f"{rows / wall:>8.0f} rows/s wall  main process {cpu:.2f} CPU-s  flagged {flagged}"
    )


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("rows")
    ap.add_argument("--benchmarks-dir", default=os.path.join(here, "..", "..", "shared", "data", "benchmarks"))
    ap.add_argument("--mode", default="merged", choices=["merged", "openr1", "both"])
    ap.add_argument("--ngram", type=int, default=8)
    ap.add_argument("--procs", type=int, default=0, help="end to end over N processes (see the header)")
    ap.add_argument("--field", default="problem")
    ap.add_argument("--chunksize", type=int, default=1000)
    ap.add_argument("--out")
    args = ap.parse_args()

    benchmarks = {name: load_benchmark(os.path.join(args.benchmarks_dir, f"{name}.jsonl")) for name in NAMES}
    if args.procs > 0:
        end_to_end(args, benchmarks)
        sys.stdout.flush()
        return
    with open(args.rows, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    n = args.ngram

    if args.mode in ("merged", "both"):
        merged = build_ngram_lookup([p for name in NAMES for p in benchmarks[name]], n)

        def merged_rule(text: str) -> bool:
            return any(g in merged for g in build_ngram_single(text, n))

        timed("merged lookup", merged_rule, rows)

    if args.mode in ("openr1", "both"):
        lookups = [build_ngram_lookup(benchmarks[name], n) for name in NAMES]

        def openr1_rule(text: str) -> bool:
            hit = False
            for lookup in lookups:
                ngrams = build_ngram_single(text, n)
                if any(set(ngram in lookup for ngram in ngrams)):
                    hit = True
            return hit

        timed("open-r1 loop, per benchmark", openr1_rule, rows)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
