"""The Stack Exchange dump reader: a hand-written mini dump, bad files, the real dump."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from scorekeeper.stackexchange import DumpError, DumpSummary, StackExchangeDump

MINI = Path(__file__).resolve().parent / "data" / "se-mini"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "se-quantumcomputing-2018"

KINDS = ("users", "posts", "reviews", "comments", "likes", "review_votes")


def read_all(dump: StackExchangeDump, order=KINDS) -> dict[str, list[tuple]]:
    return {kind: list(getattr(dump, kind)()) for kind in order}


# -- the mini dump, every tuple worked out by hand -------------------------

MINI_USERS = [
    (-1, "user-1", "Community", "2010-01-01T00:00:00", True),
    (1, "user1", "Alice", "2010-01-02T03:04:05.678000", False),
    (2, "user2", "Alice", "2010-01-03T00:00:00", False),
    (3, "user3", "Bob & Co", "2010-01-04T10:00:00.100000", False),
]
MINI_POSTS = [
    (10, 1, "2011-01-01T00:00:00"),
    (14, 3, "2011-01-05T23:59:59.999000"),
]
MINI_REVIEWS = [
    (11, 2, "2011-01-02T12:30:00.250000"),
    (12, None, "2011-01-03T08:00:00"),  # deleted owner: only OwnerDisplayName
]
MINI_COMMENTS = [
    (200, 2, "2011-03-01T09:00:00"),
    (201, 1, "2011-03-02T09:00:00.500000"),
    (202, 3, "2011-03-03T09:00:00"),
    (203, None, "2011-03-04T09:00:00"),
    (204, -1, "2011-03-05T09:00:00"),
]
MINI_LIKES = [
    # votes on questions first, in file order
    (100, None, "post", 10, True, "2011-02-01T00:00:00"),
    (101, None, "post", 10, True, "2011-02-02T00:00:00"),
    (102, None, "post", 10, False, "2011-02-03T00:00:00"),
    (111, None, "post", 14, False, "2011-02-12T00:00:00"),
    # then the comment scores: 201 has 1, 202 has 3, 203 (no UserId) has 2
    (-201_000_001, None, "comment", 201, True, "2011-03-02T09:00:00.500000"),
    (-202_000_001, None, "comment", 202, True, "2011-03-03T09:00:00"),
    (-202_000_002, None, "comment", 202, True, "2011-03-03T09:00:00"),
    (-202_000_003, None, "comment", 202, True, "2011-03-03T09:00:00"),
    (-203_000_001, None, "comment", 203, True, "2011-03-04T09:00:00"),
    (-203_000_002, None, "comment", 203, True, "2011-03-04T09:00:00"),
]
MINI_REVIEW_VOTES = [
    (103, None, 11, "up", "2011-02-04T00:00:00"),
    (104, None, 11, "down", "2011-02-05T00:00:00"),
    (105, None, 12, "up", "2011-02-06T00:00:00"),
]
MINI_SUMMARY = DumpSummary(
    users=4,
    posts=2,
    reviews=2,
    comments=5,
    likes=10,
    review_votes=3,
    skipped_post_types=2,  # 13 (tag wiki, 4) and 15 (tag wiki excerpt, 5)
    skipped_missing_target=3,  # 107 (post 99), 108 (favourite on post 98), 109 (on tag wiki 13)
    skipped_vote_types=2,  # 106 (favourite on 10), 110 (accepted answer 11)
)


def test_mini_dump_rows_exactly():
    rows = read_all(StackExchangeDump(MINI))
    assert rows["users"] == MINI_USERS
    assert rows["posts"] == MINI_POSTS
    assert rows["reviews"] == MINI_REVIEWS
    assert rows["comments"] == MINI_COMMENTS
    assert rows["likes"] == MINI_LIKES
    assert rows["review_votes"] == MINI_REVIEW_VOTES


def test_mini_dump_value_types():
    rows = read_all(StackExchangeDump(MINI))
    for user in rows["users"]:
        assert type(user[0]) is int and type(user[4]) is bool
    for like in rows["likes"]:
        assert type(like[0]) is int and type(like[3]) is int and type(like[4]) is bool


def test_mini_dump_summary():
    dump = StackExchangeDump(MINI)
    read_all(dump)
    assert dump.summary == MINI_SUMMARY
    assert dump.summary.lines() == [
        "read 4 users, 2 questions (posts), 2 answers (reviews), 5 comments, 10 likes, 3 review votes",
        "skipped 2 posts that are neither questions nor answers (other PostTypeId)",
        "skipped 3 votes on posts missing from the dump (deleted, or neither a question nor an answer)",
        "skipped 2 votes of other types than up and down (VoteTypeId 2 and 3)",
    ]


def test_summary_lines_singular_and_no_skips():
    assert DumpSummary(users=1, skipped_missing_target=1).lines() == [
        "read 1 user, 0 questions (posts), 0 answers (reviews), 0 comments, 0 likes, 0 review votes",
        "skipped 1 vote on a post missing from the dump (deleted, or neither a question nor an answer)",
    ]


@pytest.mark.parametrize(
    "order",
    [
        tuple(reversed(KINDS)),
        ("review_votes", "comments", "likes", "posts", "users", "reviews"),
    ],
)
def test_any_order_gives_the_same_rows_and_summary(order):
    dump = StackExchangeDump(MINI)
    rows = read_all(dump, order)
    assert rows == read_all(StackExchangeDump(MINI))
    assert dump.summary == MINI_SUMMARY


def test_interleaved_iterators():
    dump = StackExchangeDump(MINI)
    likes, votes = dump.likes(), dump.review_votes()
    got_likes, got_votes = [next(likes)], [next(votes)]
    got_votes.append(next(votes))
    got_likes.append(next(likes))
    got_votes.extend(votes)
    got_likes.extend(likes)
    assert got_likes == MINI_LIKES and got_votes == MINI_REVIEW_VOTES


def test_summary_counts_only_what_ran_to_the_end():
    dump = StackExchangeDump(MINI)
    list(dump.review_votes())
    assert dump.summary == DumpSummary(review_votes=3, skipped_missing_target=3, skipped_vote_types=2)


# -- bad dumps ---------------------------------------------------------------


@pytest.fixture
def mini_copy(tmp_path) -> Path:
    folder = tmp_path / "dump"
    shutil.copytree(MINI, folder)
    return folder


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("missing", ["Users.xml", "Posts.xml", "Votes.xml", "Comments.xml"])
def test_missing_file_is_named(mini_copy, missing):
    (mini_copy / missing).unlink()
    with pytest.raises(DumpError, match=missing):
        StackExchangeDump(mini_copy)


def test_missing_folder(tmp_path):
    with pytest.raises(DumpError, match="no such folder"):
        StackExchangeDump(tmp_path / "nope")


def test_malformed_xml_names_file_line_and_row(mini_copy):
    # row 3 of Posts.xml loses its closing "/>"; the parser notices on line 6
    replace_in(mini_copy / "Posts.xml", 'Score="1" OwnerDisplayName="gone" />', 'Score="1" OwnerDisplayName="gone" ')
    dump = StackExchangeDump(mini_copy)
    with pytest.raises(DumpError) as info:
        list(dump.posts())
    message = str(info.value)
    assert message.startswith("Posts.xml line 6, column ")
    assert "after row 2" in message and "invalid XML" in message
    # the vote iterators need Posts.xml too and say the same
    with pytest.raises(DumpError, match=r"^Posts\.xml line 6"):
        list(dump.review_votes())


def test_truncated_file(mini_copy):
    text = (mini_copy / "Votes.xml").read_text(encoding="utf-8")
    (mini_copy / "Votes.xml").write_text(text[: text.index('<row Id="105"')], encoding="utf-8")
    dump = StackExchangeDump(mini_copy)
    likes = dump.likes()
    pattern = r"^Votes\.xml line \d+, column \d+ \(after row 5\): invalid XML: no element found"
    with pytest.raises(DumpError, match=pattern):
        list(likes)


def test_empty_file(mini_copy):
    (mini_copy / "Users.xml").write_bytes(b"")
    with pytest.raises(DumpError, match=r"^Users\.xml line 1"):
        list(StackExchangeDump(mini_copy).users())


def test_wrong_root_element(mini_copy):
    shutil.copy(mini_copy / "Posts.xml", mini_copy / "Users.xml")
    pattern = r"^Users\.xml: the root element is <posts>, expected <users>"
    with pytest.raises(DumpError, match=pattern):
        list(StackExchangeDump(mini_copy).users())


def test_non_integer_attribute(mini_copy):
    replace_in(mini_copy / "Posts.xml", '<row Id="12" PostTypeId="2"', '<row Id="12" PostTypeId="x"')
    dump = StackExchangeDump(mini_copy)
    expected = "Posts.xml row 3: PostTypeId 'x' is not an integer"
    for kind in ("posts", "reviews", "likes", "review_votes"):
        with pytest.raises(DumpError) as info:
            list(getattr(dump, kind)())
        assert str(info.value) == expected


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        (
            "Votes.xml",
            '<row Id="104" PostId="11"',
            '<row Id="104" PostId="11.5"',
            "Votes.xml row 5: PostId '11.5' is not an integer",
        ),
        (
            "Votes.xml",
            'Id="110" PostId="11" VoteTypeId="1" CreationDate="2011-02-11T00:00:00.000"',
            'Id="110" PostId="11" VoteTypeId="1" CreationDate="yesterday"',
            "Votes.xml row 11: CreationDate 'yesterday' is not an ISO 8601 timestamp "
            "(e.g. 2026-11-30T12:00:00Z)",
        ),
        (
            "Votes.xml",
            '<row Id="111"',
            '<row Id="-111"',
            "Votes.xml row 12: Id '-111' is not a positive integer",
        ),
        (
            "Users.xml",
            '<row Id="2" ',
            '<row Id="99999999999999999999" ',
            "Users.xml row 3: Id '99999999999999999999' is outside the signed 64-bit range",
        ),
        (
            "Users.xml",
            ' DisplayName="Bob &amp; Co"',
            "",
            "Users.xml row 4: DisplayName is missing",
        ),
        (
            "Comments.xml",
            'Score="3"',
            'Score="1000000"',
            "Comments.xml row 3: Score '1000000' is too large (at most 999999 likes a comment)",
        ),
        (
            "Comments.xml",
            '<row Id="201"',
            '<row Id="9223372036855"',
            "Comments.xml row 2: Id '9223372036855' is too large to number its likes within 64 bits",
        ),
        (
            "Comments.xml",
            '<row Id="202"',
            '<row Id="-202"',
            "Comments.xml row 3: Id '-202' is negative, which the ids of its likes cannot take",
        ),
        (
            "Comments.xml",
            ' UserId="3" />',
            ' UserId="three" />',
            "Comments.xml row 3: UserId 'three' is not an integer",
        ),
    ],
)
def test_bad_values(mini_copy, file, old, new, expected):
    replace_in(mini_copy / file, old, new)
    dump = StackExchangeDump(mini_copy)
    kinds = {
        "Votes.xml": ("likes", "review_votes"),
        "Users.xml": ("users",),
        "Comments.xml": ("comments", "likes"),
    }[file]
    for kind in kinds:
        with pytest.raises(DumpError) as info:
            list(getattr(dump, kind)())
        assert str(info.value) == expected


def test_largest_comment_id_that_fits(mini_copy):
    # 9223372036854 * 1_000_000 + 775_807 is 2**63 - 1; -(that) is still in range
    replace_in(mini_copy / "Comments.xml", '<row Id="201"', '<row Id="9223372036854"')
    likes = [like for like in StackExchangeDump(mini_copy).likes() if like[2] == "comment"]
    assert likes[0][0] == -(9223372036854 * 1_000_000 + 1)


def test_dump_error_is_a_value_error():
    assert issubclass(DumpError, ValueError)


# -- the real dump -------------------------------------------------------------

needs_real = pytest.mark.skipif(
    not (REAL / "Votes.xml").is_file(),
    reason=f"the real Quantum Computing dump is not at {REAL}",
)


@pytest.fixture(scope="module")
def real():
    dump = StackExchangeDump(REAL)
    rows = read_all(dump)
    return dump, rows


def _rows(path: Path):
    return [row.attrib for row in ET.parse(path).getroot().iter("row")]


@needs_real
def test_real_dump_counts(real):
    dump, rows = real
    posts = _rows(REAL / "Posts.xml")
    types = Counter(p["PostTypeId"] for p in posts)
    comment_score = sum(int(c["Score"]) for c in _rows(REAL / "Comments.xml"))

    assert dump.summary.users == len(rows["users"]) == 3461
    assert dump.summary.posts == len(rows["posts"]) == types["1"] == 612
    assert dump.summary.reviews == len(rows["reviews"]) == types["2"] == 1060
    assert dump.summary.skipped_post_types == len(posts) - 612 - 1060 == 314
    assert dump.summary.comments == len(rows["comments"]) == 3413
    comment_likes = [like for like in rows["likes"] if like[2] == "comment"]
    assert len(comment_likes) == comment_score
    assert dump.summary.likes == len(rows["likes"])
    assert dump.summary.review_votes == len(rows["review_votes"])
    assert (dump.summary.likes, dump.summary.review_votes) == (6865, 5083)
    # every vote lands in exactly one place
    votes = _rows(REAL / "Votes.xml")
    assert len(votes) == (
        len(rows["likes"]) - len(comment_likes)
        + len(rows["review_votes"])
        + dump.summary.skipped_missing_target
        + dump.summary.skipped_vote_types
    )
    # only the bot is a bot; usernames are unique
    assert [u[0] for u in rows["users"] if u[4]] == [-1]
    assert len({u[1] for u in rows["users"]}) == len(rows["users"])
    # all ids distinct within each kind, like ids clear of each other
    for kind in KINDS:
        ids = [row[0] for row in rows[kind]]
        assert len(set(ids)) == len(ids), kind


@needs_real
def test_real_dump_balances_match_scores(real):
    _dump, rows = real
    score = {int(p["Id"]): int(p["Score"]) for p in _rows(REAL / "Posts.xml")}
    kind = {int(p["Id"]): p["PostTypeId"] for p in _rows(REAL / "Posts.xml")}

    question_balance = Counter()
    for _id, _user, likeable_type, likeable_id, is_like, _at in rows["likes"]:
        if likeable_type == "post":
            question_balance[likeable_id] += 1 if is_like else -1
    answer_balance = Counter()
    for _id, _user, review_id, vote_type, _at in rows["review_votes"]:
        answer_balance[review_id] += 1 if vote_type == "up" else -1

    questions = [post_id for post_id, t in kind.items() if t == "1"]
    answers = [post_id for post_id, t in kind.items() if t == "2"]
    assert {q: question_balance[q] for q in questions} == {q: score[q] for q in questions}
    assert {a: answer_balance[a] for a in answers} == {a: score[a] for a in answers}
    assert set(question_balance) <= set(questions)
    assert set(answer_balance) <= set(answers)


@needs_real
def test_real_dump_skipped_votes(real):
    dump, _rows_ = real
    posts = {p["Id"]: p["PostTypeId"] for p in _rows(REAL / "Posts.xml")}
    votes = _rows(REAL / "Votes.xml")
    absent = sum(1 for v in votes if v["PostId"] not in posts)
    on_other_types = sum(1 for v in votes if posts.get(v["PostId"]) not in (None, "1", "2"))
    # SOURCE.md: "587 votes point at posts that were deleted before the dump"
    assert absent == 587
    # plus the votes (all "approved edit suggestion", 16) on tag wikis, which are skipped posts
    assert on_other_types == 167
    assert dump.summary.skipped_missing_target == absent + on_other_types == 754
    assert dump.summary.skipped_vote_types == 1431
