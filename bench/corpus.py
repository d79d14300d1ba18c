"""Generated multilingual benchmark corpora: no text can be downloaded here.

Each pseudo-language has its own syllables (with its letters: umlauts, accents,
Vietnamese tone marks, Cyrillic), a Zipf-distributed lexicon and capitalised,
punctuated sentences, so SentencePiece learns a realistic 32k vocabulary and
paragraphs have a realistic token-length spread. Everything is seeded: the same
arguments give the same bytes.
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

SYLLABLES = {
    "de": (
        "sch st ch ei au ie ä ö ü ß ber ung ten gen lich keit heit wer kun zeit bahn"
        " haus stadt wald feld ver ge be an auf mit rat werk kraft spiel"
    ),
    "fr": (
        "é è ê ç eau ou oi ai qu tion ment par ré dé con pré tre lle eur ans ville"
        " chem mai jar pon sou vo ra ti gne rou cha mé"
    ),
    "es": (
        "ñ á é í ó ú ción mien to ra da lle rro que cua ha bla ciu dad mer ca pue"
        " blo tra ba jo es pa gua ria ni"
    ),
    "it": (
        "zio ne gli gn chi che zza ssi tto ra ta pa ro la sta men te cit tà por to"
        " ca sa gior no vi ta ri"
    ),
    "vi": (
        "thành phố người việt nước trường học đường những được của không có này"
        " mưa hôm nay sáng chiều tối bạn nhà xe đi về"
    ),
    "ru": (
        "ст пр ов ени ать ия ого ый ой зд кр мо ла ра ни ко ро до го то жи ве ли чт щ ш ц ы ю я"
    ),
}
LANGUAGES = tuple(SYLLABLES)
LEXICON_SIZE = 6000  # words per language
MIN_SENTENCE_TOKENS = 5
MAX_SENTENCE_TOKENS = 120


class PseudoLanguage:
    """Words built from a language's syllables; word frequencies follow Zipf's law."""

    def __init__(self, code: str, rng: random.Random) -> None:
        syllables = SYLLABLES[code].split()
        words: set[str] = set()
        while len(words) < LEXICON_SIZE:
            parts = rng.choices(syllables, k=rng.choice((1, 2, 2, 3, 3, 4)))
            vowels = "aeiou" if code != "ru" else "аеиоу"
            if code == "vi":  # monosyllabic words, tone marks included in the syllables
                words.add(" ".join(parts))
            else:
                words.add("".join(part + rng.choice(vowels) for part in parts))
        self.code = code
        self.words = sorted(words)
        rng.shuffle(self.words)
        zipf = (1.0 / (rank + 1) for rank in range(len(words)))
        self.cum_weights = list(itertools.accumulate(zipf))

    def word(self, rng: random.Random) -> str:
        return rng.choices(self.words, cum_weights=self.cum_weights)[0]

    def sentence(self, rng: random.Random, fits: Callable[[str], bool]) -> str:
        """Adds words while `fits(sentence)` holds (it bounds the token length)."""
        words = [self.word(rng).capitalize()]
        while True:
            word = self.word(rng)
            candidate = " ".join([*words, word])
            if not fits(candidate + "."):
                return " ".join(words) + rng.choice(".....!?")
            words.append(word)


def sentence_token_target(rng: random.Random) -> int:
    """Log-normal sentence length (median ~22 tokens), clipped to 5..120 tokens."""
    target = round(math.exp(rng.gauss(math.log(22), 0.6)))
    return min(MAX_SENTENCE_TOKENS, max(MIN_SENTENCE_TOKENS, target))


def training_sentences(count: int, seed: int = 7) -> Iterator[str]:
    """Sentences for training the benchmark SentencePiece model (word-count bounded)."""
    rng = random.Random(seed)
    languages = [PseudoLanguage(code, rng) for code in LANGUAGES]
    for _ in range(count):
        words = rng.randint(3, 40)
        yield rng.choice(languages).sentence(rng, lambda text, n=words: text.count(" ") < n)


def paragraphs(
    count: int, count_tokens: Callable[[str], int], seed: int = 11
) -> Iterator[tuple[str, str]]:
    """(language, paragraph) pairs: 1 to 4 sentences of 5 to 120 tokens each."""
    rng = random.Random(seed)
    languages = [PseudoLanguage(code, rng) for code in LANGUAGES]
    for _ in range(count):
        language = rng.choice(languages)
        sentences = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            target = sentence_token_target(rng)
            sentences.append(language.sentence(rng, lambda text, t=target: count_tokens(text) <= t))
        yield language.code, " ".join(sentences)


def short_paragraphs(count: int, seed: int = 5) -> list[tuple[str, str]]:
    """One sentence of 2 to 8 words per paragraph."""
    rng = random.Random(seed)
    languages = [PseudoLanguage(code, rng) for code in LANGUAGES]
    texts = []
    for _ in range(count):
        language = rng.choice(languages)
        words = rng.randint(2, 8)
        texts.append((language.code, language.sentence(rng, lambda t, n=words: t.count(" ") < n)))
    return texts


def write_documents(
    path: Path,
    texts: list[tuple[str, str]],
    per_document: int,
    repeat_fraction: float = 0.0,
    files: int = 1,
) -> int:
    """Writes monolingual JSONL documents of `per_document` paragraphs, each with its
    language in `lang` (detection on pseudo-languages would be noise); returns the
    paragraph count.

    With `repeat_fraction`, that share of the paragraphs are copies of others
    (boilerplate, signatures), placed at seeded random positions. With `files` > 1,
    documents are dealt round-robin to `shard_paths(path, files)`: local worker
    processes share a run by input file.
    """
    rng = random.Random(3)
    items = list(texts)
    if repeat_fraction:
        unique = items[: round(len(items) * (1 - repeat_fraction))]
        repeats = [rng.choice(unique) for _ in range(len(items) - len(unique))]
        items = unique + repeats
        rng.shuffle(items)
    items.sort(key=lambda item: item[0])  # stable: the shuffled order within a language
    path.parent.mkdir(parents=True, exist_ok=True)
    documents = 0
    handles = [p.open("w", encoding="utf-8") for p in shard_paths(path, files)]
    for language, group in itertools.groupby(items, key=lambda item: item[0]):
        texts_of_language = [text for _, text in group]
        for start in range(0, len(texts_of_language), per_document):
            chunk = texts_of_language[start : start + per_document]
            record = {"id": f"doc-{documents:06d}", "lang": language}
            record["text"] = "\n\n".join(chunk) + "\n"
            handles[documents % files].write(json.dumps(record, ensure_ascii=False) + "\n")
            documents += 1
    for handle in handles:
        handle.close()
    return len(items)


def shard_paths(path: Path, files: int) -> list[Path]:
    if files == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{k:02d}{path.suffix}") for k in range(files)]


def input_pattern(path: Path, files: int) -> str:
    """The --input pattern matching what `write_documents` wrote."""
    return str(path) if files == 1 else str(path.with_name(f"{path.stem}-*{path.suffix}"))


def by_length(token_lists: list[list[str]]) -> dict[int, list[int]]:
    """The indices of the token lists, grouped by length (shortest first)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for index, tokens in enumerate(token_lists):
        groups[len(tokens)].append(index)
    return dict(sorted(groups.items()))
