"""Peak memory for one long unpunctuated line (speech-to-text output), de-identified and segmented.

    python benchmarks/long_line_memory.py [--words 120000]

120,000 words make a line of about 660 KB. The peak resident set size is the process's own
(`resource.getrusage`), so it includes loading spaCy's small English model (about 330 MB).
Audit 10 measured 4.0 GB for a whole `qualflow run` of such a file before NER was chunked.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from qualflow.pipeline.deidentify import Deidentifier
from qualflow.pipeline.segment import Segmenter
from qualflow.pipeline.turns import parse_turns

WORDS = "the community nurse said that the work is hard and tiring every day because Mary Smith from London".split()


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=120_000)
    args = parser.parse_args()
    rng = random.Random(10)
    text = "Interviewer: tell me about your work\nP10: " + " ".join(rng.choice(WORDS) for _ in range(args.words)) + "\n"
    print(f"one line of {len(text):,} characters")

    started = time.perf_counter()
    findings = Deidentifier().find(text, "en")
    print(f"  de-identify: {len(findings):,} findings in {time.perf_counter() - started:.0f} s; peak {peak_mb():,} MB")

    started = time.perf_counter()
    statements = Segmenter().segment(text, parse_turns(text).turns)
    longest = max(len(s.text) for s in statements)
    print(f"  segment: {len(statements):,} statements, longest {longest} characters, in "
          f"{time.perf_counter() - started:.0f} s; peak {peak_mb():,} MB")


if __name__ == "__main__":
    main()
