"""Synthetic news corpora for the benchmarks, made from the seed articles' sentences.

The seeds (``seeds/*.txt``) are real-looking news articles about Syria. Each
synthetic article takes one seed headline as its title and 8-16 body sentences
drawn at random (fixed seed, so every run sees the same text) from every seed
article body (boilerplate excluded), in paragraphs of 2-4 sentences. The text is
therefore news prose with the seeds' density of place names, actors and dates,
and no two articles are identical (so ingest stores every one of them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geomap.articles import sentences, split_articles
from geomap.pipeline import read_text

REPO_DIR = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_DIR / "seeds"


@dataclass(frozen=True)
class SeedText:
    titles: tuple[str, ...]
    sentences: tuple[str, ...]


@lru_cache(maxsize=1)
def seed_text() -> SeedText:
    """Headlines and body sentences of every seed article."""
    titles, sents = [], []
    for path in sorted(SEEDS_DIR.glob("*.txt")):
        text = read_text(path)
        for art in split_articles(text):
            titles.append(art.title)
            for a, b in art.spans():
                for s, e in sentences(text, a, b):
                    sent = " ".join(text[s:e].split())
                    # body sentences, not captions, bylines or headline repeats
                    if len(sent) >= 40 and sent.count(" ") >= 6 and sent not in titles:
                        sents.append(sent)
    return SeedText(tuple(dict.fromkeys(titles)), tuple(dict.fromkeys(sents)))


def article(rng: random.Random) -> str:
    """One synthetic article: a headline, a blank line, paragraphs of seed sentences."""
    seed = seed_text()
    body = rng.sample(seed.sentences, rng.randint(8, 16))
    paras, i = [], 0
    while i < len(body):
        n = rng.randint(2, 4)
        paras.append(" ".join(body[i : i + n]))
        i += n
    return rng.choice(seed.titles) + "\n\n" + "\n\n".join(paras) + "\n"


def articles(count: int | None = None, min_bytes: int | None = None, seed: int = 6) -> list[str]:
    """``count`` articles, or as many as make ``min_bytes`` of UTF-8 text."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while (count is not None and len(out) < count) or (min_bytes is not None and size < min_bytes):
        out.append(article(rng))
        size += len(out[-1].encode())
    return out


def nbytes(texts: list[str]) -> int:
    return sum(len(t.encode()) for t in texts)
