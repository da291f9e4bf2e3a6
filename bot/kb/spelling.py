"""Typo tolerance for the keyword search, and "did you mean" from the KB's own words.

A word the KB never uses ("instal", "windwos", "postgress") is matched to the KB word
one edit away (an inserted, deleted, replaced or swapped letter), preferring the word
more articles use. Candidates are found through a deletion index (SymSpell's idea):
every KB word is stored under each string it becomes with one letter deleted, and a
typo looks up its own one-deletion strings, so a lookup costs a few dictionary probes
instead of a comparison with every word. Only words of `MIN_LENGTH` letters or more are
corrected (shorter ones are too often real words or codes), and never a `known` word:
a small KB lacks most of English, and "night" must not become "right".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping

MIN_LENGTH = 4
WORD = re.compile(r"[a-z0-9]+")
# How people type contractions in chat: words, not typos of "wont" or "doesn".
CONTRACTIONS = frozenset(
    [
        "dont",
        "doesnt",
        "didnt",
        "cant",
        "couldnt",
        "wont",
        "wouldnt",
        "isnt",
        "arent",
        "wasnt",
        "werent",
        "hasnt",
        "havent",
        "hadnt",
        "shouldnt",
        "mustnt",
        "thats",
        "whats",
        "wheres",
        "theres",
        "youre",
        "theyre",
        "weve",
        "youve",
        "ive",
    ]
)


def words_of(text: str) -> set[str]:
    """The distinct words of one article's text, as the speller counts them."""
    return set(WORD.findall(text.lower()))


def _correctable(word: str) -> bool:
    """Whether a KB word may be offered as a correction: letters only (a code such as
    `rx000123` or `0x80070005` is never a typo's intended word), and long enough."""
    return len(word) >= MIN_LENGTH - 1 and word.isalpha()


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """True when `b` is `a` with one letter inserted, deleted, replaced, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Speller:
    """The KB's vocabulary, and the closest KB word for a word it does not contain."""

    def __init__(self, counts: Mapping[str, int], known: Collection[str] = frozenset()) -> None:
        """`counts`: how many articles use each word (see `words_of`)."""
        self._known = known
        self._counts: Counter[str] = Counter()
        self._by_deletion: dict[str, list[str]] = defaultdict(list)
        self._indexed: set[str] = set()  # a removed word stays here, unknown to `_counts`
        self.apply(counts)

    @classmethod
    def from_texts(cls, texts: Iterable[str], known: Collection[str] = frozenset()) -> Speller:
        """A speller for the articles whose words are `texts` (one text an article)."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(words_of(text))
        return cls(counts, known)

    def apply(self, deltas: Mapping[str, int]) -> None:
        """Add (or with negative counts, remove) articles' words: an update to the KB."""
        for word, delta in deltas.items():
            before = self._counts.get(word, 0)
            after = before + delta
            if after > 0:
                self._counts[word] = after
            else:
                self._counts.pop(word, None)
            if before <= 0 < after and _correctable(word) and word not in self._indexed:
                self._indexed.add(word)
                for deleted in _deletes(word):
                    self._by_deletion[deleted].append(word)

    def knows(self, word: str) -> bool:
        return word in self._counts

    def correct(self, word: str) -> str | None:
        """The KB word one edit from `word`, or None (known, too short, or no such word)."""
        known = word in self._counts or word in self._known or word in CONTRACTIONS
        if len(word) < MIN_LENGTH or known:
            return None
        if any(c.isdigit() for c in word):
            return None
        candidates = {word} | _deletes(word)
        found = {w for key in candidates for w in self._by_deletion.get(key, ())}
        found |= {key for key in _deletes(word) if key in self._counts}
        close = [w for w in found if w in self._counts and _one_edit_apart(word, w)]
        if not close:
            return None
        return max(close, key=lambda w: (self._counts[w], w))

    def suggest(self, text: str) -> str | None:
        """`text` with its misspelt words corrected, or None when nothing was corrected."""
        changed = False

        def fix(match: re.Match[str]) -> str:
            nonlocal changed
            word = match.group(0)
            corrected = self.correct(word.lower())
            if corrected is None:
                return word
            changed = True
            return corrected

        suggestion = re.sub(r"[A-Za-z0-9]+", fix, text)
        return suggestion if changed else None
