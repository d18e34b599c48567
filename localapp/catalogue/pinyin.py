"""The pinyin of product names, for search: 螺丝刀 is found by `luosidao` and `lsd`.

Pinyin comes from pypinyin's dictionaries, read directly: forward maximum
matching over its phrase dictionary (so 银行 is yinhang and 重庆 chongqing),
then the most common reading of single characters. Calling
`pypinyin.lazy_pinyin` costs about 75 us per name here, which is seven
seconds for 100,000 products; this is about 3 us, and names are memoised.
"""

from __future__ import annotations

import re
import threading
import unicodedata


class _Pinyin:
    """Text -> (full pinyin, initials), from pypinyin's own dictionaries."""

    def __init__(self) -> None:
        from pypinyin import phrases_dict, pinyin_dict  # large; loaded on first use

        self._plain: dict[str, str] = {}
        self.chars: dict[str, str] = {}
        for code, readings in pinyin_dict.pinyin_dict.items():
            self.chars[chr(code)] = self._syllable(readings.split(",", 1)[0])
        self.phrases: dict[str, tuple[str, ...]] = {}
        self.starts: set[str] = set()
        longest = 2
        for phrase, phrase_readings in phrases_dict.phrases_dict.items():
            if len(phrase) < 2 or len(phrase_readings) != len(phrase):
                continue
            self.phrases[phrase] = tuple(self._syllable(r[0]) for r in phrase_readings)
            self.starts.add(phrase[:2])
            longest = max(longest, len(phrase))
        self.longest = longest
        self.memo: dict[str, tuple[str, str]] = {}
        self.runs: dict[str, tuple[str, str]] = {}

    def _syllable(self, toned: str) -> str:
        plain = self._plain.get(toned)
        if plain is None:
            # ü is typed "v" on Chinese keyboards (lv for 绿), so keep it apart from u.
            decomposed = unicodedata.normalize("NFD", toned).replace("u\u0308", "v")
            plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
            self._plain[toned] = plain
        return plain

    def forms(self, text: str) -> tuple[str, str]:
        """(full, initials), lower case, without whitespace; ("", "") when no Han."""
        found = self.memo.get(text)
        if found is not None:
            return found
        full: list[str] = []
        initials: list[str] = []
        han = False
        # Names repeat their Chinese words ("不锈钢十字螺丝刀 M6", "... M8"): convert
        # each run of Han characters once and reuse it.
        # With a capturing group, split() alternates: other, Han, other, Han ...
        for i, run in enumerate(_HAN_RUNS.split(text)):
            if not run:
                continue
            if i % 2:
                han = True
                pair = self.runs.get(run)
                if pair is None:
                    pair = self.runs[run] = self._convert(run)
                full.append(pair[0])
                initials.append(pair[1])
            else:
                other = "".join(run.split()).lower()
                full.append(other)
                initials.append(other)
        result = ("".join(full), "".join(initials)) if han else ("", "")
        if len(self.memo) > 500_000:
            self.memo.clear()  # bounded: a rebuild refills it
            self.runs.clear()
        self.memo[text] = result
        return result

    def _convert(self, run: str) -> tuple[str, str]:
        """A run of Han characters: forward maximum matching over the phrases."""
        chars, phrases, starts = self.chars, self.phrases, self.starts
        full: list[str] = []
        i, n = 0, len(run)
        while i < n:
            if run[i : i + 2] in starts:
                for length in range(min(self.longest, n - i), 1, -1):
                    reading = phrases.get(run[i : i + length])
                    if reading is not None:
                        full.extend(reading)
                        i += length
                        break
                else:
                    full.append(chars.get(run[i], run[i]))
                    i += 1
                continue
            full.append(chars.get(run[i], run[i]))
            i += 1
        return "".join(full), "".join(s[:1] for s in full)


#: Runs of Han characters (the ranges pypinyin treats as Han).
_HAN_RUNS = re.compile("([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134a]+)")


_converter: _Pinyin | None = None
_converter_lock = threading.Lock()


def pinyin_forms(text: str) -> tuple[str, str]:
    """The full pinyin and the initials of `text` (螺丝刀 -> ("luosidao", "lsd")).

    Characters that are not Han are kept, lower-cased; whitespace is dropped.
    A text without Han characters gives ("", "").
    """
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = _Pinyin()
    return _converter.forms(text)


def load_pinyin() -> None:
    """Load pypinyin's dictionaries now (about a second) rather than at the first search."""
    pinyin_forms("")


def pinyin_query(q: str) -> str | None:
    """The form of a (case-folded) query to look for in pinyin, or None.

    Only letters and digits can be pinyin: a query with Han characters or
    punctuation is matched as plain text only.
    """
    compact = "".join(q.split())
    if compact and compact.isascii() and compact.isalnum() and not compact.isdigit():
        return compact
    return None
