"""Training data in Rasa 3.x NLU YAML, read without depending on Rasa.

`load_training_data` accepts files and directories (every `*.yml`/`*.yaml`, sorted) and
merges them. Malformed data raises `TrainingDataError` naming `file:line`; questionable
but usable data (duplicates, intents with very few examples) becomes a warning string in
the same form, returned rather than printed so the CLI, a lint step or a test decides.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from nlu.annotations import AnnotationError, EntitySpan, parse_annotated
from nlu.errors import TrainingDataError
from nlu.rasa_yaml import Block, parse_file

DataPaths = Path | str | Iterable[Path | str]  # files and directories, or just one

DATA_SUFFIXES = (".yml", ".yaml")
MIN_EXAMPLES = 5

__all__ = [
    "DataPaths",
    "EntitySpan",
    "Example",
    "LookupTable",
    "RegexFeature",
    "SourceFile",
    "TrainingData",
    "TrainingDataError",
    "data_files",
    "fingerprint_files",
    "load_training_data",
]


@dataclass(frozen=True)
class Example:
    """One example message: markup stripped from `text`, entity spans relative to it."""

    intent: str
    text: str
    entities: tuple[EntitySpan, ...]
    source: str  # "file:line", for messages


@dataclass(frozen=True)
class RegexFeature:
    """A `- regex:` block: its name is the entity type its patterns extract."""

    name: str
    patterns: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class LookupTable:
    """A `- lookup:` block: its name is the entity type its elements are found as."""

    name: str
    elements: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class SourceFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class TrainingData:
    """Everything read from the NLU files, merged.

    `synonyms` maps a lower-cased entity value to its canonical value, from `- synonym:`
    blocks and from annotations whose value differs from their text (`[win 11](os:windows)`),
    as Rasa's synonym mapper does.
    """

    examples: tuple[Example, ...]
    synonyms: Mapping[str, str]
    regexes: tuple[RegexFeature, ...]
    lookups: tuple[LookupTable, ...]
    warnings: tuple[str, ...]
    sources: tuple[SourceFile, ...]

    @property
    def intents(self) -> tuple[str, ...]:
        return tuple(sorted({example.intent for example in self.examples}))

    def fingerprint(self) -> str:
        """sha256 over the source files' names and contents, to retrain only on change."""
        return _combine(self.sources)


def load_training_data(paths: DataPaths) -> TrainingData:
    """Read and merge every NLU file under `paths` (files or directories)."""
    collector = _Collector()
    sources = []
    for file, name in _named_files(paths):
        content = _read(file)
        sources.append(SourceFile(name, hashlib.sha256(content).hexdigest()))
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise TrainingDataError(f"{file}:1: not UTF-8 text") from None
        parsed = parse_file(str(file), text)
        collector.warnings.extend(parsed.warnings)
        for block in parsed.blocks:
            collector.add(str(file), block)
    return collector.result(tuple(sources))


def data_files(paths: DataPaths) -> list[Path]:
    """The NLU files named by `paths`: files as given, directories' YAML files sorted."""
    return [file for file, _ in _named_files(paths)]


def fingerprint_files(paths: DataPaths) -> str:
    """`TrainingData.fingerprint()` without parsing: cheap enough to call on every start."""
    return _combine(
        SourceFile(name, hashlib.sha256(_read(file)).hexdigest())
        for file, name in _named_files(paths)
    )


def _named_files(paths: DataPaths) -> list[tuple[Path, str]]:
    """Each data file with the name it is fingerprinted under: relative to the directory
    it was found in, so moving the data elsewhere does not force a retrain."""
    found: list[tuple[Path, str]] = []
    for path in map(Path, [paths] if isinstance(paths, str | Path) else paths):
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.suffix in DATA_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise TrainingDataError(f"{path}: no *.yml or *.yaml files in this directory")
            found.extend((p, p.relative_to(path).as_posix()) for p in inside)
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise TrainingDataError(f"{path}: no such file or directory")
    if not found:
        raise TrainingDataError("no training data files given")
    return found


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise TrainingDataError(f"{file}: cannot read: {error.strerror}") from None


def _combine(sources: Iterable[SourceFile]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(f"{source.name}\0{source.sha256}\n".encode())
    return digest.hexdigest()


class _Collector:
    """Accumulates blocks from many files, then validates the merged whole."""

    def __init__(self) -> None:
        self.examples: list[Example] = []
        self.synonyms: dict[str, tuple[str, str]] = {}  # variant -> (canonical, source)
        self.regexes: list[RegexFeature] = []
        self.lookups: dict[str, LookupTable] = {}
        self.warnings: list[str] = []
        self.first_block: dict[str, str] = {}  # intent -> where it is first defined

    def add(self, file: str, block: Block) -> None:
        where = f"{file}:{block.line}"
        if block.kind == "intent":
            self.first_block.setdefault(block.name, where)
            for item in block.items:
                self._add_example(block.name, item.text, f"{file}:{item.line}")
        elif block.kind == "synonym":
            for item in block.items:
                self._add_synonym(item.text, block.name, f"{file}:{item.line}")
        elif block.kind == "regex":
            for item in block.items:
                _check_pattern(item.text, block.name, f"{file}:{item.line}")
            patterns = tuple(item.text for item in block.items)
            self.regexes.append(RegexFeature(block.name, patterns, where))
        else:
            self._add_lookup(block.name, tuple(item.text for item in block.items), where)

    def _add_example(self, intent: str, raw: str, where: str) -> None:
        try:
            annotated = parse_annotated(raw)
        except AnnotationError as error:
            raise TrainingDataError(f"{where}: {error} in {raw!r}") from None
        if not annotated.text.strip():
            raise TrainingDataError(f"{where}: example of '{intent}' has no text")
        for span in annotated.entities:
            if span.value != span.text:
                self._add_synonym(span.text, span.value, where)
        self.examples.append(Example(intent, annotated.text, annotated.entities, where))

    def _add_synonym(self, variant: str, canonical: str, where: str) -> None:
        key = variant.strip().lower()
        known = self.synonyms.get(key)
        if known is not None and known[0] != canonical:
            self.warnings.append(
                f"{where}: '{variant}' is a synonym of both '{known[0]}' ({known[1]}) "
                f"and '{canonical}'; keeping '{known[0]}'"
            )
            return
        self.synonyms.setdefault(key, (canonical, where))

    def _add_lookup(self, name: str, elements: tuple[str, ...], where: str) -> None:
        known = self.lookups.get(name)
        merged = (*known.elements, *elements) if known else elements
        unique = tuple(dict.fromkeys(merged))
        self.lookups[name] = LookupTable(name, unique, known.source if known else where)

    def result(self, sources: tuple[SourceFile, ...]) -> TrainingData:
        self._warn_duplicates()
        self._warn_small_intents()
        return TrainingData(
            examples=tuple(self.examples),
            synonyms=MappingProxyType({k: v[0] for k, v in self.synonyms.items()}),
            regexes=tuple(self.regexes),
            lookups=tuple(self.lookups.values()),
            warnings=tuple(self.warnings),
            sources=sources,
        )

    def _warn_duplicates(self) -> None:
        first: dict[str, Example] = {}
        for example in self.examples:
            key = " ".join(example.text.lower().split())
            seen = first.setdefault(key, example)
            if seen is example:
                continue
            if seen.intent == example.intent:
                problem = f"duplicate example {example.text!r} (first at {seen.source})"
            else:
                problem = (
                    f"example {example.text!r} of '{example.intent}' is also an example "
                    f"of '{seen.intent}' ({seen.source})"
                )
            self.warnings.append(f"{example.source}: {problem}")

    def _warn_small_intents(self) -> None:
        counts = Counter(example.intent for example in self.examples)
        for intent, where in self.first_block.items():
            if counts[intent] < MIN_EXAMPLES:
                self.warnings.append(
                    f"{where}: intent '{intent}' has only {counts[intent]} example(s); "
                    f"{MIN_EXAMPLES} or more recommended"
                )


def _check_pattern(pattern: str, name: str, where: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise TrainingDataError(f"{where}: bad pattern in regex '{name}': {error}") from None
