#!/usr/bin/env python3
"""Write a realistic, deterministic activity data set for scorekeeper.

The files follow the "Input files" schemas of SPEC.md: users.csv, posts.csv,
reviews.csv, comments.csv, likes.csv and review_votes.csv.

    python3 sample_data/generate.py                      # the committed set
    python3 sample_data/generate.py --users 1000000 --rows 10000000 --out /tmp/big

Standard library only. The same options always give the same bytes: every
file is drawn from its own random stream, seeded from ``--seed`` and the
file's kind, so the output does not depend on ``--jobs`` either.

What the data looks like:

* activity spans DAYS (183) days up to and including ``--end-date`` and grows
  over time; users were created before it, ids ascending with time;
* a minority of users author anything, with Zipf-like skew, so a few authors
  get most likes; recent items get more likes; many users have no activity;
* about 5% of likes are dislikes and 10% of review votes are ``down``; likes
  target posts (~75%) and comments; a few rows use ``App\\Models\\Post``
  style type names or ``true``/``false`` booleans; ~1% of likes are
  self-likes; ~0.5% of likes and votes have an empty ``user_id``; ~0.1%
  point at targets that are not in the files;
* users ``admin``, ``reddit_bot``, ``posts_bot`` and a few ``is_bot`` users,
  who write and vote a little; names with non-ASCII letters, emoji,
  right-to-left scripts, commas, one spreadsheet formula and one Rich markup
  name; usernames are ASCII slugs ending in the user's id, hence unique;
* timestamps are mostly ``2026-11-05T13:45:10Z``; about 1% are written with a
  space and an offset (same instant), some as a date alone (midnight UTC),
  a few likes with fractional seconds. A like or vote is never dated before
  its target, whichever form either is written in.

Memory stays bounded: per item only a few machine ints and a float are kept
(``array``), every row is streamed to its file.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import math
import os
import random
import sys
from array import array
from datetime import date, timedelta
from pathlib import Path

DAYS = 183  # activity window: this many days, ending with --end-date
USER_DAYS = 730  # users were created in the two years before the window
DAY = 86400
RECENT = 7 * DAY  # "recent" items, which get extra likes

# share of the activity rows per kind
SHARES = {"posts": 0.08, "reviews": 0.04, "comments": 0.18, "likes": 0.55, "review_votes": 0.15}
AUTHOR_SHARE = 0.35  # share of ordinary users who may author items
LIKER_SHARE = 0.60  # share of ordinary users who may like or vote
AUTHOR_SKEW = 2.0  # author rank = A * u**AUTHOR_SKEW: items per author ~ rank**-0.5
LIKER_SKEW = 3.0
POP_EXPONENT = 0.4  # an item's appeal falls with its author's rank like this
QUALITY_ALPHA = 1.5  # Pareto shape of an item's own appeal
NEWCOMER_SHARE = 0.10  # share of ordinary users who write an item or two, seldom liked
NEWCOMER_POP = 0.02

HEADERS = {
    "users": ["id", "username", "name", "created_at", "is_bot"],
    "posts": ["id", "user_id", "created_at"],
    "reviews": ["id", "user_id", "created_at"],
    "comments": ["id", "user_id", "created_at"],
    "likes": ["id", "user_id", "likeable_type", "likeable_id", "is_like", "created_at"],
    "review_votes": ["id", "user_id", "review_id", "vote_type", "created_at"],
}

# (display, ASCII slug)
FIRST_NAMES = [
    ("Anna", "anna"), ("Ben", "ben"), ("Chloé", "chloe"), ("Dmitri", "dmitri"),
    ("Zoë", "zoe"), ("Ådne", "adne"), ("José", "jose"), ("María", "maria"),
    ("François", "francois"), ("Søren", "soren"), ("Łukasz", "lukasz"),
    ("Ngọc", "ngoc"), ("Ólafur", "olafur"), ("Siobhán", "siobhan"),
    ("Jürgen", "jurgen"), ("Çağla", "cagla"), ("Αλέξανδρος", "alexandros"),
    ("Дмитрий", "dmitriy"), ("Wei", "wei"), ("Yuki", "yuki"), ("민준", "minjun"),
    ("محمد", "mohammad"), ("فاطمة", "fatima"), ("שרה", "sarah"), ("דוד", "david"),
    ("Priya", "priya"), ("अर्जुन", "arjun"), ("Kwame", "kwame"),
    ("Oluwaseun", "oluwaseun"), ("Emma", "emma"), ("Liam", "liam"),
    ("Noah", "noah"), ("Olivia", "olivia"), ("Mia", "mia"), ("Lucas", "lucas"),
    ("Sofia", "sofia"), ("Aylin", "aylin"), ("Mateo", "mateo"), ("Chidi", "chidi"),
    ("Nadia", "nadia"), ("Tomás", "tomas"), ("Inès", "ines"), ("Eva", "eva"),
    ("Jan", "jan"), ("Pia", "pia"), ("Max", "max"), ("Ida", "ida"),
    ("Sam", "sam"), ("Alex", "alex"), ("Kai", "kai"),
]
LAST_NAMES = [
    ("Smith", "smith"), ("Smith, Jr.", "smith_jr"), ("Doe", "doe"),
    ("García", "garcia"), ("Müller", "muller"), ("Østergaard", "ostergaard"),
    ("Nguyễn", "nguyen"), ("王", "wang"), ("田中", "tanaka"),
    ("Kowalski", "kowalski"), ("O'Brien", "obrien"), ("van der Berg", "vanderberg"),
    ("Ivanova", "ivanova"), ("Haddad", "haddad"), ("Cohen", "cohen"),
    ("Okafor", "okafor"), ("Silva", "silva"), ("Rossi", "rossi"),
    ("Dubois", "dubois"), ("Kim", "kim"), ("Patel", "patel"), ("Yılmaz", "yilmaz"),
    ("Novák", "novak"), ("Lefèvre", "lefevre"), ("Fernández", "fernandez"),
    ("Jones", "jones"), ("Brown", "brown"), ("Lee", "lee"),
]
WHOLE_NAMES = [  # used as they are
    ("李雷", "lilei"), ("韩梅梅", "hanmeimei"), ("محمد علي", "mohammadali"),
    ("שרה כהן", "sarahcohen"), ("🦊 Fox", "fox"), ("Pixel 👾", "pixel"),
    ("🌸Sakura🌸", "sakura"), ("👩‍💻 Dev", "dev"), ("Zoë 🇳🇴", "zoe"),
    ("Ådne Ørsted", "adneorsted"), ("Ünal, Ayşe", "unalayse"), ("Doe, Jane", "doejane"),
]
BOT_NAMES = [
    ("Welcome Bot", "welcomebot"), ("Spam Filter", "spamfilter"),
    ("Moderation Bot 🤖", "modbot"), ("Backup Script", "backupscript"),
    ("Link Checker", "linkchecker"),
]
FORMULA_NAME = ('=HYPERLINK("x")', "hyperlink")
RICH_NAME = ("[bold]x[/]", "boldx")

OFFSETS = [-5 * 3600, -8 * 3600, 2 * 3600, 5 * 3600 + 1800, 9 * 3600, 0, -3 * 3600 - 1800]

BOOL_STYLES = [  # (weight, true text, false text); 1/0 dominates
    (0.96, "1", "0"), (0.03, "true", "false"), (0.005, "True", "FALSE"), (0.005, "yes", "no"),
]


def _offset_text(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class Clock:
    """Fast ISO 8601 text for whole seconds counted from the window's start."""

    def __init__(self, start: date) -> None:
        self.first_day = -USER_DAYS - 2
        days = range(self.first_day, DAYS + 3)
        self.date_text = [(start + timedelta(days=d)).isoformat() for d in days]
        self.day_t = [d + "T" for d in self.date_text]
        self.day_space = [d + " " for d in self.date_text]
        self.tod = [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(DAY)]
        self.tod_z = [t + "Z" for t in self.tod]
        self.offsets = [(o, _offset_text(o)) for o in OFFSETS]

    def z(self, t: int) -> str:
        d, s = divmod(t, DAY)
        return self.day_t[d - self.first_day] + self.tod_z[s]

    def offset(self, t: int, pick: float) -> str:
        off, text = self.offsets[int(pick * len(self.offsets))]
        d, s = divmod(t + off, DAY)
        return self.day_space[d - self.first_day] + self.tod[s] + text

    def day(self, t: int) -> str:
        return self.date_text[t // DAY - self.first_day]

    def fraction(self, t: int, pick: float) -> str:
        d, s = divmod(t, DAY)
        return f"{self.day_t[d - self.first_day]}{self.tod[s]}.{int(pick * 1000):03d}Z"


def _growth_time(i: int, n: int, u: float, span: int, growth: float) -> int:
    """The i-th of n sorted times in [0, span) with density rising 1 -> 1+growth."""
    q = (i + u) / n
    x = (math.sqrt(1.0 + 2.0 * growth * q * (1.0 + growth / 2.0)) - 1.0) / growth
    t = int(span * x)
    return t if t < span else span - 1


class Model:
    """What every writer needs: users, the pools and one array set per item kind."""

    def __init__(self, users: int, rows: int, end: date, seed: int) -> None:
        if users < 20:
            raise ValueError("--users must be at least 20")
        self.seed = seed
        self.n_users = users
        self.start = end + timedelta(days=1) - timedelta(days=DAYS)
        self.span = DAYS * DAY
        self.clock = Clock(self.start)
        self.counts = {k: max(1, round(rows * share)) for k, share in SHARES.items()}

        rng = random.Random(f"{seed}/users/model")
        self.admin = 1
        n_bots = max(3, users * 3 // 1000)
        special = rng.sample(range(2, users + 1), 4 + n_bots)
        self.reddit_bot, self.posts_bot, self.formula_user, self.rich_user = special[:4]
        self.bots = sorted(special[4:])
        self.bot_set = set(self.bots)
        # users who cast likes but are excluded by default (bots and named accounts)
        self.bot_voters = array("q", [self.admin, self.reddit_bot, self.posts_bot] + self.bots)

        excluded = {self.admin, self.reddit_bot, self.posts_bot, *self.bots}
        ordinary = [u for u in range(1, users + 1) if u not in excluded]
        rng.shuffle(ordinary)
        # put the formula and Rich markup names among the top authors, so that
        # they show up on leaderboards
        for uid, rank in ((self.formula_user, 2), (self.rich_user, 6)):
            pos = ordinary.index(uid)
            ordinary[pos], ordinary[rank] = ordinary[rank], ordinary[pos]
        self.ordinary = array("q", ordinary)
        del ordinary
        self.n_authors = max(10, int(len(self.ordinary) * AUTHOR_SHARE))
        self.n_newcomers = max(2, int(len(self.ordinary) * NEWCOMER_SHARE))
        self.n_likers = max(10, int(len(self.ordinary) * LIKER_SHARE))
        self.liker_offset = len(self.ordinary) // 3

        # kind -> (ids, times, authors, cumulative appeal)
        self.items = {}
        extra = {  # (author, share of the kind's items, appeal); None: a newcomer
            "posts": [(self.posts_bot, 0.01, 0.3), (self.admin, 0.003, 0.3), (None, 0.03, NEWCOMER_POP)],
            "reviews": [(self.admin, 0.002, 0.3), (None, 0.03, NEWCOMER_POP)],
            "comments": [(self.reddit_bot, 0.01, 0.3), (None, 0.05, NEWCOMER_POP)]
            + [(b, 0.005 / len(self.bots), 0.3) for b in self.bots],
        }
        for kind in ("posts", "reviews", "comments"):
            self.items[kind] = self._build_items(kind, extra[kind])

    def _build_items(self, kind: str, extra: list[tuple[int | None, float, float]]):
        rng = random.Random(f"{self.seed}/{kind}/model")
        rnd = rng.random
        pareto = rng.paretovariate
        n = self.counts[kind]
        ids, times, authors, cum = array("q"), array("q"), array("q"), array("d")
        pool, n_authors, span = self.ordinary, self.n_authors, self.span
        extra_cut = []
        acc = 0.0
        for uid, share, appeal in extra:
            acc += share
            extra_cut.append((acc, uid, appeal))
        extra_total = acc
        next_id = 0
        total = 0.0
        growth = 1.5
        for i in range(n):
            next_id += 2 if rnd() < 0.02 else 1  # a few gaps: deleted rows
            ids.append(next_id)
            times.append(_growth_time(i, n, rnd(), span, growth))
            r = rnd()
            if r < extra_total:
                for cut, author, pop in extra_cut:
                    if r < cut:
                        break
                if author is None:
                    author = pool[n_authors + int(rnd() * self.n_newcomers)]
            else:
                rank = int(n_authors * rnd() ** AUTHOR_SKEW)
                author = pool[rank]
                pop = (1.0 + rank) ** -POP_EXPONENT
            authors.append(author)
            total += pop * pareto(QUALITY_ALPHA)
            cum.append(total)
        return ids, times, authors, cum


def _bool_picker(rng: random.Random):
    cuts = []
    acc = 0.0
    for weight, yes, no in BOOL_STYLES:
        acc += weight
        cuts.append((acc, yes, no))

    def pick(value: bool) -> str:
        r = rng.random()
        for cut, yes, no in cuts:
            if r < cut:
                return yes if value else no
        return "1" if value else "0"

    return pick


def _open(path: Path):
    f = open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)
    return f, csv.writer(f, lineterminator="\n")


def write_users(m: Model, path: Path) -> int:
    rng = random.Random(f"{m.seed}/users/write")
    rnd = rng.random
    boolean = _bool_picker(rng)
    clock = m.clock
    named = {
        m.admin: ("admin", "Administrator", False),
        m.reddit_bot: ("reddit_bot", "Reddit Bot", False),
        m.posts_bot: ("posts_bot", "Posts Bot", False),
    }
    f, w = _open(path)
    with f:
        w.writerow(HEADERS["users"])
        first = -USER_DAYS * DAY
        span = USER_DAYS * DAY - DAY
        n = m.n_users
        for i in range(n):
            uid = i + 1
            t = first + int((i + rnd()) / n * span)
            is_bot = False
            if uid in named:
                username, name, is_bot = named[uid]
            elif uid in m.bot_set:
                name, slug = BOT_NAMES[int(rnd() * len(BOT_NAMES))]
                username, is_bot = f"{slug}{uid}", True
            elif uid == m.formula_user or uid == m.rich_user:
                name, slug = FORMULA_NAME if uid == m.formula_user else RICH_NAME
                username = f"{slug}{uid}"
            else:
                r = rnd()
                fn, fs = FIRST_NAMES[int(rnd() * len(FIRST_NAMES))]
                ln, ls = LAST_NAMES[int(rnd() * len(LAST_NAMES))]
                if r < 0.82:
                    name = f"{fn} {ln}"
                elif r < 0.87:
                    name = f"{ln}, {fn}" if "," not in ln else f"{fn} {ln}"
                elif r < 0.93:
                    name, ls = fn, ""
                else:
                    name, fs = WHOLE_NAMES[int(rnd() * len(WHOLE_NAMES))]
                    ls = ""
                # the id at the end makes it unique: slugs hold no digits
                username = f"{fs}.{ls}{uid}" if ls else f"{fs}{uid}"
            r = rnd()
            if r < 0.97:
                ts = clock.z(t)
            elif r < 0.99:
                ts = clock.offset(t, rnd())
            else:
                ts = clock.day(t)
            w.writerow((uid, username, name, ts, boolean(is_bot)))
    return m.n_users


def write_items(m: Model, kind: str, path: Path) -> int:
    rng = random.Random(f"{m.seed}/{kind}/write")
    rnd = rng.random
    z, offset, day = m.clock.z, m.clock.offset, m.clock.day
    ids, times, authors, _ = m.items[kind]
    f, w = _open(path)
    with f:
        w.writerow(HEADERS[kind])
        row = w.writerow
        for i in range(len(ids)):
            r = rnd()
            t = times[i]
            if r < 0.98:
                ts = z(t)
            elif r < 0.993:
                ts = offset(t, rnd())
            else:  # midnight: earlier than the real time, so likes stay after it
                ts = day(t)
            row((ids[i], authors[i], ts))
    return len(ids)


class _Targets:
    """Weighted choice among the items of one kind created up to time t.

    Times must come in ascending order; the window pointers only move on.
    """

    def __init__(self, items, rnd) -> None:
        self.ids, self.times, self.authors, self.cum = items
        self.n = len(self.ids)
        self.lo = 0  # first item younger than RECENT
        self.hi = 0  # items [0, hi) exist at time t
        self.rnd = rnd
        self.missing_base = self.ids[-1] + 1 if self.n else 1

    def pick(self, t: int, recent_share: float) -> int:
        """Index of an item created at or before t, or -1 if there is none yet."""
        times, n = self.times, self.n
        hi = self.hi
        while hi < n and times[hi] <= t:
            hi += 1
        self.hi = hi
        if hi == 0:
            return -1
        lo = self.lo
        limit = t - RECENT
        while lo < hi and times[lo] < limit:
            lo += 1
        self.lo = lo
        rnd, cum = self.rnd, self.cum
        if lo == hi or rnd() >= recent_share:
            lo = 0
        base = cum[lo - 1] if lo else 0.0
        x = base + rnd() * (cum[hi - 1] - base)
        i = bisect.bisect_right(cum, x, lo, hi)
        return i if i < hi else hi - 1


class _Voters:
    """Who casts a like or vote: mostly skewed ordinary users, a few others."""

    def __init__(self, m: Model, rnd, n: int) -> None:
        self.rnd = rnd
        self.pool = m.ordinary
        self.n_pool = len(m.ordinary)
        self.n_likers = m.n_likers
        self.offset = m.liker_offset
        self.bots = m.bot_voters

        # one like or vote per voter and target, as a site's table keeps them:
        # a bit set of hashed (voter, target) pairs; a false hit only means
        # drawing another voter
        bits = 1 << 16
        while bits < 16 * n:
            bits <<= 1
        self.seen = bytearray(bits >> 3)
        self.shift = 64 - bits.bit_length() + 1
        self.given_up = 0

    def _draw(self, author, attempt: int) -> object:
        rnd = self.rnd
        if attempt >= 4:  # the skewed pool is used up for this target
            return self.pool[int(rnd() * self.n_pool)]
        r = rnd()
        if r < 0.005:
            return ""  # unknown voter
        if r < 0.012:
            return self.bots[int(rnd() * len(self.bots))]
        if r < 0.022 and author is not None and attempt == 0:
            return author  # self-like
        k = int(self.n_likers * rnd() ** LIKER_SKEW)
        return self.pool[(k + self.offset) % self.n_pool]

    def pick(self, author, target_key: int) -> object:
        """A voter who has not voted on target_key yet ('' when unknown)."""
        seen, shift = self.seen, self.shift
        for attempt in range(12):
            voter = self._draw(author, attempt)
            if voter == "":
                return voter
            h = (((voter << 36) ^ target_key) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF) >> shift
            byte, bit = h >> 3, 1 << (h & 7)
            if not seen[byte] & bit:
                seen[byte] |= bit
                return voter
        return None


def _react(targets: _Targets, voters: _Voters, t: int, recent_share: float, tag: int):
    """(target id, voter, target's time) of a like or vote at time t.

    tag tells the kinds of target apart in the voter's bit set. When every
    likely voter has voted on the chosen target already, another target is
    chosen; failing that, the voter is unknown.
    """
    rnd = targets.rnd
    if rnd() < 0.001:  # a target that is not (yet) known
        target_id = targets.missing_base + int(rnd() * 1000)
        voter = voters.pick(None, target_id << 1 | tag)
        return target_id, "" if voter is None else voter, None
    for _ in range(4):
        k = targets.pick(t, recent_share)
        if k < 0:  # cannot happen: times start after the first target's
            k = 0
        target_id = targets.ids[k]
        voter = voters.pick(targets.authors[k], target_id << 1 | tag)
        if voter is not None:
            return target_id, voter, targets.times[k]
    voters.given_up += 1
    return target_id, "", targets.times[k]


def _stamp(clock: Clock, rnd, t: int, target_t: int | None) -> str:
    """Text of a like or vote time t; never earlier than target_t."""
    r = rnd()
    if r < 0.979:
        return clock.z(t)
    if r < 0.991:
        return clock.offset(t, rnd())
    if r < 0.996:
        return clock.fraction(t, rnd())
    if target_t is None or (t // DAY) * DAY >= target_t:
        return clock.day(t)
    return clock.z(t)


def write_likes(m: Model, path: Path) -> int:
    rng = random.Random(f"{m.seed}/likes/write")
    rnd = rng.random
    boolean = _bool_picker(rng)
    clock = m.clock
    posts = _Targets(m.items["posts"], rnd)
    comments = _Targets(m.items["comments"], rnd)
    voters = _Voters(m, rnd, m.counts["likes"])
    type_names = {
        True: [(0.965, "post"), (0.995, "App\\Models\\Post"), (1.0, "Post")],
        False: [(0.965, "comment"), (0.995, "App\\Models\\Comment"), (1.0, "Comment")],
    }
    n = m.counts["likes"]
    first = max(posts.times[0], comments.times[0])  # likes start once both exist
    span = m.span - first
    f, w = _open(path)
    with f:
        w.writerow(HEADERS["likes"])
        row = w.writerow
        like_id = 0
        for i in range(n):
            like_id += 2 if rnd() < 0.01 else 1
            t = first + _growth_time(i, n, rnd(), span, 2.0)
            is_post = rnd() < 0.75
            targets = posts if is_post else comments
            target_id, voter, target_t = _react(targets, voters, t, 0.55, is_post)
            r = rnd()
            for cut, type_name in type_names[is_post]:
                if r < cut:
                    break
            row((
                like_id,
                voter,
                type_name,
                target_id,
                boolean(rnd() >= 0.05),
                _stamp(clock, rnd, t, target_t),
            ))
    return n


def write_votes(m: Model, path: Path) -> int:
    rng = random.Random(f"{m.seed}/review_votes/write")
    rnd = rng.random
    clock = m.clock
    reviews = _Targets(m.items["reviews"], rnd)
    voters = _Voters(m, rnd, m.counts["review_votes"])
    n = m.counts["review_votes"]
    first = reviews.times[0]
    span = m.span - first
    f, w = _open(path)
    with f:
        w.writerow(HEADERS["review_votes"])
        row = w.writerow
        vote_id = 0
        for i in range(n):
            vote_id += 2 if rnd() < 0.01 else 1
            t = first + _growth_time(i, n, rnd(), span, 2.0)
            target_id, voter, target_t = _react(reviews, voters, t, 0.5, 0)
            row((
                vote_id,
                voter,
                target_id,
                "down" if rnd() < 0.10 else "up",
                _stamp(clock, rnd, t, target_t),
            ))
    return n


def _run_groups(groups) -> None:
    """Run each group of writers in a forked process of its own, or here."""
    if len(groups) == 1 or not hasattr(os, "fork"):
        for group in groups:
            for task in group:
                task()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    for group in groups:
        pid = os.fork()
        if pid == 0:  # child: write its files, then leave without cleanup
            code = 0
            try:
                for task in group:
                    task()
            except BaseException as exc:  # noqa: BLE001 - reported, then the parent fails
                print(f"generate.py: {exc!r}", file=sys.stderr)
                code = 1
            finally:
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    failed = False
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed |= os.waitstatus_to_exitcode(status) != 0
    if failed:
        raise SystemExit("generate.py: a writer process failed")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                   help="output folder (default: this script's folder)")
    p.add_argument("--users", type=int, default=300, help="number of users (default 300)")
    p.add_argument("--rows", type=int, default=None,
                   help="about this many activity rows in all (default 20 x users)")
    p.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 30),
                   help=f"last day of activity, YYYY-MM-DD (default 2026-11-30); it spans {DAYS} days")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--jobs", type=int, default=None,
                   help="writer processes (default: 2 for 100,000 rows or more, else 1); "
                        "the output does not depend on it")
    p.add_argument("--quiet", action="store_true", help="print no summary")
    a = p.parse_args(argv)
    rows = a.rows if a.rows is not None else 20 * a.users
    if a.users < 20:
        p.error("--users must be at least 20")
    if rows < 10:
        p.error("--rows must be at least 10")
    jobs = a.jobs if a.jobs is not None else (min(2, os.cpu_count() or 1) if rows >= 100_000 else 1)

    m = Model(a.users, rows, a.end_date, a.seed)
    out = a.out
    out.mkdir(parents=True, exist_ok=True)
    # (cost, writer): a like costs about 1.5 times an item row
    tasks = [
        (1.5 * m.counts["likes"], lambda: write_likes(m, out / "likes.csv")),
        (1.2 * m.counts["review_votes"], lambda: write_votes(m, out / "review_votes.csv")),
        (m.counts["comments"], lambda: write_items(m, "comments", out / "comments.csv")),
        (m.counts["posts"], lambda: write_items(m, "posts", out / "posts.csv")),
        (m.counts["reviews"], lambda: write_items(m, "reviews", out / "reviews.csv")),
        (a.users, lambda: write_users(m, out / "users.csv")),
    ]
    groups = [[] for _ in range(max(1, min(jobs, len(tasks))))]
    loads = [0.0] * len(groups)
    for cost, task in sorted(tasks, key=lambda x: -x[0]):  # greedy: biggest first
        k = loads.index(min(loads))
        groups[k].append(task)
        loads[k] += cost
    _run_groups(groups)
    if not a.quiet:
        counts = {"users": a.users, **m.counts}
        text = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        print(f"wrote {out}: {text}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
