"""SPEC.md invariants 1 to 4 as a state machine: imports (with and without --replace),
hook events (single and streamed: creations, flips, deletes, replays) and
recalcs interleave in any order, and after every step the stored scores equal a
plain recomputation (tests/reference.py, which shares no code with scorekeeper).

Everything goes through the CLI (CliRunner), on a database of its own per run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import reference as ref
from conftest import HEADERS, run, write_kind
from db_state import stored_scores

AS_OF = date(2026, 11, 30)
TIMES = st.sampled_from([
    "2026-10-31T23:59:59Z", "2026-11-01", "2026-11-15 12:00:00.5", "2026-12-01T00:00:00Z",
    "2026-10-31T23:30:00-05:00", "2026-11-01T01:00:00+02:00",
])
USER_IDS = [1, 2, 3, 4, 5]
ITEM_IDS = {"posts": [10, 11, 12], "reviews": [20, 21], "comments": [30, 31]}
EVENT_IDS = st.none() | st.sampled_from(["e1", "e2", "e3", "e4", "e5"])


@st.composite
def user_rows(draw, user_id=None):
    user_id = user_id or draw(st.sampled_from(USER_IDS))
    names = [f"u{user_id}", f"u{user_id}-renamed"] + (["admin"] if user_id == 3 else [])
    return {"id": user_id, "username": draw(st.sampled_from(names)),
            "name": draw(st.sampled_from(["N", "Zoë 李", None])), "created_at": draw(TIMES),
            "is_bot": draw(st.sampled_from([None, False, True]))}


@st.composite
def item_rows(draw, kind):
    return {"id": draw(st.sampled_from(ITEM_IDS[kind])),
            "user_id": draw(st.sampled_from([*USER_IDS, 6])), "created_at": draw(TIMES)}


@st.composite
def like_rows(draw):
    target = draw(st.sampled_from(["post", "comment", "App\\Models\\Post"]))
    targets = ITEM_IDS["comments"] if target == "comment" else ITEM_IDS["posts"]
    return {"id": draw(st.integers(1, 6)), "user_id": draw(st.sampled_from([None, *USER_IDS])),
            "likeable_type": target, "likeable_id": draw(st.sampled_from([*targets, 99])),
            "is_like": draw(st.booleans()), "created_at": draw(TIMES)}


@st.composite
def vote_rows(draw):
    return {"id": draw(st.integers(1, 4)), "user_id": draw(st.sampled_from([None, *USER_IDS])),
            "review_id": draw(st.sampled_from([*ITEM_IDS["reviews"], 98])),
            "vote_type": draw(st.sampled_from(["up", "down", "UP"])), "created_at": draw(TIMES)}


def rows_of(kind: str):
    return {"users": user_rows(), "posts": item_rows("posts"), "reviews": item_rows("reviews"),
            "comments": item_rows("comments"), "likes": like_rows(),
            "review_votes": vote_rows()}[kind]


KIND_NAMES = list(HEADERS)
EVENT_PREFIX = {"users": "user", "posts": "post", "reviews": "review", "comments": "comment",
                "likes": "like", "review_votes": "review_vote"}


@st.composite
def events(draw):
    kind = draw(st.sampled_from(KIND_NAMES))
    prefix = EVENT_PREFIX[kind]
    actions = ["created", "deleted"] + (["updated"] if kind in ("users", "likes", "review_votes") else [])
    action = draw(st.sampled_from(actions))
    row = draw(rows_of(kind))
    event = {"event": f"{prefix}.{action}"}
    event.update({"id": row["id"]} if action == "deleted" else row)
    event_id = draw(EVENT_IDS)
    if event_id is not None:
        event["event_id"] = event_id
    return event


def _kind_rows(kind: str):
    return st.lists(rows_of(kind), min_size=0, max_size=5, unique_by=lambda row: row["id"])


class Scorekeeping(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="sk-state-"))
        self.db = self.folder / "scores.db"
        self.state = ref.State()
        self.files = 0

    def teardown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def cli(self, *args, input=None, code=0):
        result = run("--db", self.db, *args, input=input)
        assert result.exception is None, repr(result.exception)
        assert result.exit_code == code, (args, result.stderr)
        return result

    @initialize(seed=st.lists(st.sampled_from(USER_IDS), unique=True, max_size=5))
    def start(self, seed):
        """Most runs start with known users, so that points land somewhere."""
        users = [{"id": uid, "username": f"u{uid}", "name": None, "created_at": "2026-01-01",
                  "is_bot": None} for uid in sorted(seed)]
        path = write_kind(self.folder, "users", [[u[c] for c in HEADERS["users"]] for u in users],
                          name="users-0.csv")
        self.cli("import", path)
        self.state.load("users", users)

    @rule(kind=st.sampled_from(KIND_NAMES), data=st.data(), replace=st.booleans())
    def import_a_file(self, kind, data, replace):
        rows = data.draw(_kind_rows(kind))
        self.files += 1
        path = write_kind(self.folder, kind, [[row[c] for c in HEADERS[kind]] for row in rows],
                          name=f"{kind}-{self.files}.csv")
        self.cli("import", *(["--replace"] if replace else []), path)
        self.state.load(kind, rows, replace=replace)

    @rule(kind=st.sampled_from(KIND_NAMES), data=st.data())
    def import_the_same_file_twice(self, kind, data):
        rows = data.draw(_kind_rows(kind))
        self.files += 1
        path = write_kind(self.folder, kind, [[row[c] for c in HEADERS[kind]] for row in rows],
                          name=f"{kind}-{self.files}.csv")
        self.cli("import", path)
        first = stored_scores(self.db)
        self.cli("import", path)
        assert stored_scores(self.db) == first  # invariant 3
        self.state.load(kind, rows)

    @rule(event=events())
    def send_a_hook(self, event):
        self.cli("hook", event["event"], "--json", json.dumps(event))
        self.state.apply_event(event)

    @rule(batch=st.lists(events(), min_size=1, max_size=6))
    def stream_hooks(self, batch):
        self.cli("hook", "-", input="".join(json.dumps(event) + "\n" for event in batch))
        for event in batch:
            self.state.apply_event(event)

    @rule(event=events())
    def replay_a_hook_with_its_event_id(self, event):
        event = {**event, "event_id": "replayed"}
        for _ in range(2):
            self.cli("hook", event["event"], "--json", json.dumps(event))
        self.state.apply_event(event)
        self.state.apply_event(event)

    @rule()
    def recalc_twice(self):
        self.cli("recalc")
        second = self.cli("recalc")
        assert "changed 0," in second.stderr  # invariant 2

    @rule()
    def listings_match_a_plain_recomputation(self):
        export = self.cli("export", "--as-of", AS_OF.isoformat())
        assert export.stdout == ref.to_csv(self.state.standings(AS_OF))  # invariant 4
        risers = self.cli("risers", "--as-of", AS_OF.isoformat(), "--format", "csv")
        assert risers.stdout == ref.to_csv(self.state.risers(AS_OF)[:20])

    @invariant()
    def stored_scores_equal_a_plain_recomputation(self):
        if self.db.exists():
            assert stored_scores(self.db) == self.state.components()

    @invariant()
    def no_drift(self):
        if self.db.exists():
            self.cli("recalc", "--check")  # invariant 1


Scorekeeping.TestCase.settings = settings(
    max_examples=30, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TestScorekeeping = Scorekeeping.TestCase
