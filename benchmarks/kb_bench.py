"""Issue 4's KB search figures, for the default search and BM25 alone in one run.

Quality: the StackFAQ dev queries (`../shared/datasets/stackfaq`, recall@1, recall@5,
MRR@10, as `tier0 kb eval`) and the realistic questions about the shipped KB
(`tests/bot/kb_questions.yml`: share with the right article first and among the
first 3), each for the default search (article vectors from the shared sentence
encoder, plus BM25) and for tantivy BM25 alone (index built without an encoder).

Scale: corpora of N articles (`--sizes`, default 1,000 and 10,000; 100,000 is opt-in
and takes about twenty minutes to embed) generated from the 40 shipped articles:
article i is shipped article i mod 40 with a share of its title, summary and body
words replaced from a vocabulary of every shipped article's words (a `random.Random`
seeded by i, so a corpus is the same every run and the first articles of a big one
are the small one's), a unique product token (`rx000123`) in its title and last line,
its own id and file name; written as real `.md` files with front matter. For each
size and configuration, built as a server builds it: the index (`build_index` with
`embed=False`: searchable at once, by BM25 until every article has a vector), then
every vector (`embed_missing`, a server's background thread; cold, nothing reused),
then a forced full rebuild that reuses the vectors. Then: index size on disk,
`TantivyKnowledgeBase` open time, search latency p50 / p99 over 300 shipped-KB
questions (cycled, shuffled) with the query embedded each time (the encoder's small
cache bypassed) and, for the default, with the query's vector already cached (a
chat turn: the NLU embedded the message first), the RSS of a fresh process that
opens the index and searches, the cost of a full check of the files against the
index (what the watcher does every five minutes), and update-to-visible with a
running `KbWatcher`: write a new article with a unique word (or edit an existing
one's summary and body) and time until a search for the word and the article's
title returns it in the top 3 (whether the word alone finds it is reported too).

Run: .venv/bin/python benchmarks/kb_bench.py [--sizes 1000 10000 100000] [--skip-quality]
     [--queries 300] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kb.articles import Article, load_articles  # noqa: E402
from bot.kb.evaluation import evaluate, read_queries  # noqa: E402
from bot.kb.generations import current_generation  # noqa: E402
from bot.kb.index import TantivyKnowledgeBase, build_index  # noqa: E402
from bot.kb.state import cached_state  # noqa: E402
from bot.kb.update import changed_paths, embed_missing  # noqa: E402
from bot.kb.watch import KbWatcher  # noqa: E402
from nlu.encoder import SentenceEncoder, shared_encoder  # noqa: E402

STACKFAQ = ROOT.parent / "shared" / "datasets" / "stackfaq"
SHIPPED_KB = ROOT / "kb_articles"
QUESTIONS_FILE = ROOT / "tests" / "bot" / "kb_questions.yml"
CONFIGURATIONS = ("default", "bm25")  # vectors + BM25; tantivy BM25 alone (the baseline)
TITLE_RATE, BODY_RATE = 0.3, 0.2  # share of the words replaced in a generated article
WORD = re.compile(r"^[A-Za-z]{3,}$")
ENCODE_CHUNK = 8192
VISIBLE_TIMEOUT = 5.0  # after the rebuild returned
TARGETS = (
    "targets: StackFAQ held-out MRR@10 >= 0.95, R@1 >= 0.92, R@5 >= 0.995; 100k articles: "
    "full index <= 60 s, query p99 <= 20 ms, add/replace visible <= 1 s, server RSS <= 300 MB"
)
RSS_PROBE = """
import sys, time
from pathlib import Path
started = time.perf_counter()
from bot.kb.index import TantivyKnowledgeBase
from nlu.encoder import shared_encoder
encoder = shared_encoder() if sys.argv[3] == "1" else None
kb = TantivyKnowledgeBase(Path(sys.argv[1]), Path(sys.argv[2]), encoder)
assert kb.semantic == (encoder is not None)
opened = time.perf_counter() - started
for text in ("how do i back up the database", "slack bot does not answer", "install on windows"):
    kb.search(text)
rss = [l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]
print(int(rss) / 1024, opened)
"""

Figures = dict[str, object]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchEncoder:
    """The shared encoder, seen by the KB: progress while embedding, cache switchable.

    `encode` feeds the real one `ENCODE_CHUNK` texts at a time (same vectors, same
    identity) to report progress; `encode_one` skips the encoder's recent-texts cache
    unless `cached` is set, so a latency figure includes embedding the query.
    """

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self.identity = encoder.identity
        self.dimension = encoder.dimension
        self.cached = False

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), ENCODE_CHUNK):
            parts.append(self._encoder.encode(texts[start : start + ENCODE_CHUNK]))
            if len(texts) > ENCODE_CHUNK:
                progress(f"  embedded {min(len(texts), start + ENCODE_CHUNK)}/{len(texts)}")
        return np.concatenate(parts) if parts else np.zeros((0, self.dimension), np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        if self.cached:
            return self._encoder.encode_one(text)
        return self._encoder.encode([text])[0]


def as_encoder(encoder: BenchEncoder | None) -> SentenceEncoder | None:
    return cast(SentenceEncoder | None, encoder)


def shipped_questions() -> list[tuple[str, str]]:
    """(expected article id, question) for every question in kb_questions.yml."""
    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [(str(expected), str(q)) for expected, asked in data.items() for q in asked]


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def code_state() -> dict[str, object]:
    """The commit measured, and the search code's uncommitted files (figures move with them)."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
        return run.stdout.rstrip() if run.returncode == 0 else ""

    dirty = git("status", "--porcelain", "--", "bot/kb", "nlu/encoder").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": [d[3:] for d in dirty]}


def quality(encoder: BenchEncoder | None, workdir: Path) -> Figures:
    """StackFAQ dev scores and the shipped-KB questions' top-1 / top-3 shares."""
    name = "default" if encoder is not None else "bm25"
    stackfaq_index = workdir / f"quality-stackfaq-{name}" / "index"
    build_index(STACKFAQ / "kb", stackfaq_index, encoder=as_encoder(encoder))
    stackfaq_kb = TantivyKnowledgeBase(STACKFAQ / "kb", stackfaq_index, as_encoder(encoder))
    scores = evaluate(stackfaq_kb, read_queries(STACKFAQ / "queries_dev.jsonl"))
    shipped_index = workdir / f"quality-shipped-{name}" / "index"
    build_index(SHIPPED_KB, shipped_index, encoder=as_encoder(encoder))
    shipped_kb = TantivyKnowledgeBase(SHIPPED_KB, shipped_index, as_encoder(encoder))
    questions = shipped_questions()
    top1 = top3 = 0
    for expected, question in questions:
        got = [hit.article_id for hit in shipped_kb.search(question, limit=3)]
        top1 += bool(got) and got[0] == expected
        top3 += expected in got
    return {
        "stackfaq_dev": scores.to_json(),
        "shipped": {
            "top1": round(top1 / len(questions), 4),
            "top3": round(top3 / len(questions), 4),
            "n": len(questions),
        },
    }


def vary(text: str, rng: random.Random, vocabulary: Sequence[str], rate: float) -> str:
    """`text` with about `rate` of its plain words replaced; code lines and markup kept."""
    lines = []
    in_code = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        if in_code or line.lstrip().startswith(("```", "~~~", "|")):
            lines.append(line)
            continue
        words = [
            rng.choice(vocabulary) if WORD.match(word) and rng.random() < rate else word
            for word in line.split(" ")
        ]
        lines.append(" ".join(words))
    return "\n".join(lines)


def generated_article(number: int, source: Article, vocabulary: Sequence[str]) -> tuple[str, str]:
    """(article id, file text) of generated article `number`, a variant of `source`."""
    rng = random.Random(f"kb-bench:{number}")
    token = f"rx{number:06d}"
    title_words = vary(source.title, rng, vocabulary, TITLE_RATE).split()
    if len(title_words) > 2:
        i = rng.randrange(len(title_words) - 1)
        title_words[i], title_words[i + 1] = title_words[i + 1], title_words[i]
    article_id = f"{source.id}-{token}"
    meta = {
        "title": f"{' '.join(title_words)} ({token})",
        "id": article_id,
        "category": source.category,
        "tags": list(source.tags),
        "products": ["tier0", token],
        "versions": [f"{rng.randint(0, 3)}.{rng.randint(0, 20)}"],
        "summary": vary(source.summary, rng, vocabulary, BODY_RATE),
    }
    body = vary(source.body, rng, vocabulary, BODY_RATE)
    footer = f"Applies to product {token}, version {meta['versions'][0]}."
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return article_id, f"---\n{front}---\n{body}\n\n{footer}\n"


def generate_corpus(size: int, kb_dir: Path) -> list[str]:
    """Write `size` generated articles into `kb_dir`; returns their ids."""
    sources = sorted(load_articles(SHIPPED_KB).articles, key=lambda a: a.id)
    words = {w for a in sources for w in f"{a.title} {a.body}".split() if WORD.match(w)}
    vocabulary = sorted(words)
    kb_dir.mkdir(parents=True)
    ids = []
    for number in range(size):
        article_id, text = generated_article(number, sources[number % len(sources)], vocabulary)
        (kb_dir / f"{article_id}.md").write_text(text, encoding="utf-8")
        ids.append(article_id)
    return ids


def search_latencies(kb: TantivyKnowledgeBase, queries: Sequence[str]) -> tuple[float, float]:
    """p50 and p99 (ms) of one search, after a warm-up of 20 searches."""
    for text in queries[:20]:
        kb.search(text)
    latencies = []
    for text in queries:
        started = time.perf_counter()
        kb.search(text)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return statistics.median(latencies), percentile(latencies, 0.99)


def rss_probe(kb_dir: Path, index_dir: Path, semantic: bool) -> tuple[float, float]:
    """(RSS MB, open seconds) of a fresh process holding the opened KB after 3 searches."""
    probe = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(kb_dir), str(index_dir), "1" if semantic else "0"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rss, opened = map(float, probe.stdout.split())
    return rss, opened


def time_visible(
    kb: TantivyKnowledgeBase, change: Callable[[], None], word: str, article_id: str
) -> Figures:
    """Seconds from `change` (a file write, seen by a running `KbWatcher`) until a
    search for `word` (in the article's new text only) returns the article in the top 3.

    In the default search the word alone is answered by the exact-match rule (every
    query word in the best BM25 hit), however low its similarity.
    """
    started = time.perf_counter()
    change()
    while True:
        hits = [hit.article_id for hit in kb.search(word, limit=3)]
        found = time.perf_counter()
        if article_id in hits:
            return {"visible_s": round(found - started, 3)}
        if found - started > VISIBLE_TIMEOUT:
            return {"visible_s": None, "got": hits}
        time.sleep(0.005)


def with_summary_word(text: str, word: str, article_id: str) -> tuple[str, str]:
    """(file text, title) of an article file with `word` opening its summary and body.

    The body, for BM25 (the summary is not an indexed field); the summary, so that the
    article's vector changes and the rebuild embeds it.
    """
    front, body = text.split("\n---\n", 1)
    meta = yaml.safe_load(front.removeprefix("---\n"))
    meta["id"] = article_id
    meta["summary"] = f"The {word} fix. {meta.get('summary', '')}"
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return f"---\n{dumped}---\nThe {word} fix.\n\n{body}", str(meta["title"])


def update_latency(
    kb: TantivyKnowledgeBase, kb_dir: Path, index_dir: Path, encoder: BenchEncoder | None
) -> Figures:
    """Add one article, then edit another's summary and body, with the server's watcher
    running (OS change events, as `tier0 serve`); both undone afterwards."""
    updates: list[float] = []

    def update(paths: list[str] | None) -> object:
        started = time.perf_counter()
        report = build_index(
            kb_dir, index_dir, encoder=as_encoder(encoder), embed=False, paths=paths
        )
        if paths is not None:
            updates.append(time.perf_counter() - started)
        return report

    name = "default" if encoder is not None else "bm25"
    existing = sorted(kb_dir.glob("*.md"))
    source = existing[len(existing) // 2]
    original = source.read_text(encoding="utf-8")
    new_word, edit_word = f"zqadded{name}", f"zqedited{name}"
    new_id = f"bench-added-{name}"
    new_file = kb_dir / f"{new_id}.md"
    added_text, _ = with_summary_word(original, new_word, new_id)
    edited_text, _ = with_summary_word(original, edit_word, source.stem)
    watcher = KbWatcher(kb_dir, update).start()
    watcher.ready.wait(timeout=60)  # its first full check, as at a server's start
    try:
        added = time_visible(kb, lambda: new_file.write_text(added_text, "utf-8"), new_word, new_id)
        edited = time_visible(
            kb, lambda: source.write_text(edited_text, "utf-8"), edit_word, source.stem
        )
        new_file.unlink(missing_ok=True)
        source.write_text(original, encoding="utf-8")
        time.sleep(0.5)
    finally:
        watcher.stop()
    build_index(kb_dir, index_dir, encoder=as_encoder(encoder), embed=False)
    return {"add": added, "edit": edited, "update_s": [round(u, 3) for u in updates]}


def measure(
    kb_dir: Path, index_dir: Path, encoder: BenchEncoder | None, queries: Sequence[str]
) -> Figures:
    """Every scale figure of one configuration on one generated corpus.

    Build as a server does: the index first (searchable at once, by BM25 alone), then
    every article's vector (`embed_missing`, in a server's background thread); then a
    forced full rebuild, which reuses the vectors of unchanged articles.
    """
    started = time.perf_counter()
    report = build_index(
        kb_dir, index_dir, encoder=as_encoder(encoder), embed=False, progress=progress
    )
    index_s = time.perf_counter() - started
    if report.errors:
        raise RuntimeError(f"{len(report.errors)} generated articles failed: {report.errors[0]}")
    figures: Figures = {"articles": report.articles, "index_s": round(index_s, 3)}
    if encoder is not None:
        progress(f"embedding {report.missing_vectors} articles")
        started = time.perf_counter()
        embed_missing(kb_dir, index_dir, as_encoder(encoder))  # type: ignore[arg-type]
        figures["embed_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    build_index(kb_dir, index_dir, encoder=as_encoder(encoder), force=True, progress=progress)
    figures["rebuild_s"] = round(time.perf_counter() - started, 3)
    generation = current_generation(index_dir)
    assert generation is not None
    figures["index_mb"] = round(directory_mb(generation), 2)  # the one in use
    started = time.perf_counter()
    kb = TantivyKnowledgeBase(kb_dir, index_dir, as_encoder(encoder))
    figures["open_s"] = round(time.perf_counter() - started, 3)
    assert kb.semantic == (encoder is not None)
    p50, p99 = search_latencies(kb, queries)
    figures |= {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
    if encoder is not None:
        encoder.cached = True
        for text in queries:  # fill the encoder's cache, as the NLU's parse of the turn does
            kb.search(text)
        cached_p50, cached_p99 = search_latencies(kb, queries)
        encoder.cached = False
        figures |= {"cached_p50_ms": round(cached_p50, 2), "cached_p99_ms": round(cached_p99, 2)}
    rss, probe_open_s = rss_probe(kb_dir, index_dir, encoder is not None)
    figures |= {"rss_mb": round(rss, 1), "probe_open_s": round(probe_open_s, 3)}
    state = cached_state(generation)
    assert state is not None
    started = time.perf_counter()
    changed_paths(kb_dir, state, None)
    figures["full_check_ms"] = round((time.perf_counter() - started) * 1000, 1)
    figures["update"] = update_latency(kb, kb_dir, index_dir, encoder)
    return figures


def scale(size: int, encoder: BenchEncoder, workdir: Path, count: int) -> dict[str, Figures]:
    kb_dir = workdir / f"kb-{size}"
    progress(f"generating {size} articles")
    generate_corpus(size, kb_dir)
    questions = [question for _, question in shipped_questions()]
    queries = (questions * (count // len(questions) + 1))[:count]
    random.Random(0).shuffle(queries)
    results: dict[str, Figures] = {}
    for name in CONFIGURATIONS:
        progress(f"{size} articles, {name}: building, searching, probing RSS, updating")
        index_dir = workdir / f"index-{size}-{name}" / "index"
        chosen = encoder if name == "default" else None
        results[name] = measure(kb_dir, index_dir, chosen, queries)
        shutil.rmtree(index_dir.parent)
    shutil.rmtree(kb_dir)
    return results


def print_quality(figures: dict[str, Figures]) -> None:
    print("== quality (default = vectors + BM25; bm25 = tantivy BM25 alone, the baseline)")
    for name, f in figures.items():
        s = cast(dict[str, float], f["stackfaq_dev"])
        shipped = cast(dict[str, float], f["shipped"])
        print(
            f"{name:8s} StackFAQ dev: R@1 {s['recall@1']:.3f}, R@5 {s['recall@5']:.3f}, "
            f"MRR@10 {s['mrr@10']:.3f} (n={s['n']}); shipped-KB questions: "
            f"top-1 {shipped['top1'] * 100:.1f} %, top-3 {shipped['top3'] * 100:.1f} % "
            f"(n={shipped['n']})"
        )


def visible(update: object) -> str:
    figures = cast(dict[str, object], update)
    seconds = figures["visible_s"]
    return "never" if seconds is None else f"{seconds:.2f} s"


def print_scale(figures: dict[int, dict[str, Figures]]) -> None:
    print(
        "== scale (generated corpora; latency over the shipped-KB questions, query embedded;"
        " index = searchable, by BM25 until embedded; embed = every vector, cold;"
        " rebuild = forced full build reusing the vectors)"
    )
    header = (
        f"{'articles':>8s} {'config':8s} {'index s':>8s} {'embed s':>8s} {'rebuild s':>9s} "
        f"{'index MB':>9s} {'open s':>7s} {'p50 ms':>7s} {'p99 ms':>7s} {'cached p50/p99':>15s} "
        f"{'RSS MB':>7s} {'add vis':>8s} {'edit vis':>9s} {'check ms':>9s}"
    )
    print(header)
    for size, configurations in figures.items():
        for name, f in configurations.items():
            cached = (
                f"{f['cached_p50_ms']:.2f}/{f['cached_p99_ms']:.2f}"
                if "cached_p50_ms" in f
                else "-"
            )
            embed_s = f"{f['embed_s']:.1f}" if "embed_s" in f else "-"
            update = cast(dict[str, object], f["update"])
            print(
                f"{size:>8d} {name:8s} {f['index_s']:>8.2f} {embed_s:>8s} {f['rebuild_s']:>9.2f} "
                f"{f['index_mb']:>9.2f} {f['open_s']:>7.2f} {f['p50_ms']:>7.2f} "
                f"{f['p99_ms']:>7.2f} {cached:>15s} {f['rss_mb']:>7.0f} "
                f"{visible(update['add']):>8s} {visible(update['edit']):>9s} "
                f"{f['full_check_ms']:>9.1f}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=300, help="searches timed per run")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temp dir")
    args = parser.parse_args()
    shared = shared_encoder()
    if shared is None:
        print("the sentence encoder is not installed (the embeddings extra)", file=sys.stderr)
        return 1
    encoder = BenchEncoder(shared)
    results: dict[str, object] = {"code": code_state()}
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        if not args.skip_quality:
            progress("quality: StackFAQ dev and the shipped-KB questions")
            results["quality"] = {
                name: quality(encoder if name == "default" else None, Path(workdir))
                for name in CONFIGURATIONS
            }
        results["scale"] = {
            size: scale(size, encoder, Path(workdir), args.queries) for size in args.sizes
        }
    if "quality" in results:
        print_quality(cast(dict[str, Figures], results["quality"]))
    print_scale(cast(dict[int, dict[str, Figures]], results["scale"]))
    code = cast(dict[str, object], results["code"])
    print(f"code: commit {code['commit']}, uncommitted in bot/kb: {code['uncommitted'] or 'none'}")
    print(TARGETS)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
