"""Streaming reader for a Stack Exchange data dump.

Maps the four files of one site (Users.xml, Posts.xml, Votes.xml and
Comments.xml) onto scorekeeper's six kinds of activity, as described in
SPEC.md, "Stack Exchange dumps":

* users: ``(id, username, name, created_at, is_bot)``; ``username`` is
  ``user<Id>`` (stable across later dumps, since display names repeat),
  ``name`` is the DisplayName, the account with Id -1 is the bot.
* posts: questions (PostTypeId 1) as ``(id, user_id, created_at)``.
* reviews: answers (PostTypeId 2) as ``(id, user_id, created_at)``.
* comments: every comment as ``(id, user_id, created_at)``.
* likes: ``(id, user_id, likeable_type, likeable_id, is_like, created_at)``;
  first the up (2) and down (3) votes on questions (id = the vote's Id), then
  the comment likes: a comment with Score n >= 1 gives n likes with ids
  ``-(comment_id * 1_000_000 + k)`` for k in 1..n, dated at the comment.
* review_votes: ``(id, user_id, review_id, vote_type, created_at)`` for the
  up and down votes on answers (id = the vote's Id).

The ``user_id`` of a like or review vote is always ``None``: the dump does not
say who voted. A missing OwnerUserId or UserId (deleted account) is ``None``.
Ids are ints, booleans bools, times the normalised UTC text of
``values.parse_timestamp``.

Every iterator reads its file(s) as a stream with ``iterparse`` and clears
each element once handled, so memory does not grow with the size of the
files. The only state kept is a compact map of which post ids are questions
and which are answers (two sorted ``array('q')``), built by one pass over
Posts.xml the first time ``likes()`` or ``review_votes()`` needs it.

The six iterators can be consumed in any order, each once (consuming one
again reads the files again and yields the same rows). ``summary`` is
filled in as each iterator runs to its end: it is complete only after all
six have been consumed to the end. A bad file or value raises ``DumpError``.
"""

from __future__ import annotations

import pathlib
import re
import xml.etree.ElementTree as ET
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, Iterator

from .values import INT64_MAX, INT64_MIN, parse_id, parse_timestamp

__all__ = ["DumpError", "DumpSummary", "StackExchangeDump"]

FILES = ("Users.xml", "Posts.xml", "Votes.xml", "Comments.xml")
_ROOT_TAGS = {"Users.xml": "users", "Posts.xml": "posts", "Votes.xml": "votes", "Comments.xml": "comments"}

QUESTION = 1
ANSWER = 2
UPVOTE = 2
DOWNVOTE = 3
BOT_ID = -1
COMMENT_LIKE_FACTOR = 1_000_000


class DumpError(ValueError):
    """A dump that cannot be read: a missing file, invalid XML or a bad value.

    The message names the file and the row (1-based count of ``<row>``
    elements) or the line, and for a bad value the attribute and the value.
    """


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class DumpSummary:
    """What a dump held and what of it was skipped.

    Complete only after all six iterators of the dump were consumed.
    """

    users: int = 0
    posts: int = 0
    reviews: int = 0
    comments: int = 0
    likes: int = 0  # post likes/dislikes from votes + comment likes from comment Score
    review_votes: int = 0
    skipped_post_types: int = 0  # posts whose PostTypeId is neither 1 nor 2
    skipped_missing_target: int = 0  # votes whose PostId is not a question/answer in the dump
    skipped_vote_types: int = 0  # votes of types other than 2 and 3 (on posts that are present)

    def lines(self) -> list[str]:
        """Human summary lines: what was read, then each non-zero skip count."""
        lines = [
            "read "
            + ", ".join(
                [
                    _plural(self.users, "user", "users"),
                    _plural(self.posts, "question (post)", "questions (posts)"),
                    _plural(self.reviews, "answer (review)", "answers (reviews)"),
                    _plural(self.comments, "comment", "comments"),
                    _plural(self.likes, "like", "likes"),
                    _plural(self.review_votes, "review vote", "review votes"),
                ]
            )
        ]
        if self.skipped_post_types:
            lines.append(
                "skipped "
                + _plural(self.skipped_post_types, "post", "posts")
                + " that are neither questions nor answers (other PostTypeId)"
            )
        if self.skipped_missing_target:
            lines.append(
                "skipped "
                + _plural(self.skipped_missing_target, "vote on a post", "votes on posts")
                + " missing from the dump (deleted, or neither a question nor an answer)"
            )
        if self.skipped_vote_types:
            lines.append(
                "skipped "
                + _plural(self.skipped_vote_types, "vote", "votes")
                + " of other types than up and down (VoteTypeId 2 and 3)"
            )
        return lines


class _Row:
    """One ``<row>``'s attributes with the file and row number for errors."""

    __slots__ = ("file", "number", "attrib")

    def __init__(self, file: str, number: int, attrib: dict[str, str]) -> None:
        self.file = file
        self.number = number
        self.attrib = attrib

    def error(self, name: str, value: object, reason: str) -> DumpError:
        return DumpError(f"{self.file} row {self.number}: {name} {value!r} {reason}")

    def _raw(self, name: str) -> str:
        value = self.attrib.get(name)
        if value is None or not value.strip():
            raise DumpError(f"{self.file} row {self.number}: {name} is missing")
        return value

    def _parse(self, name: str, parser: Callable[[str], object], value: str):
        try:
            return parser(value)
        except ValueError as exc:
            raise self.error(name, value, str(exc)) from None

    def id(self, name: str) -> int:
        return self._parse(name, parse_id, self._raw(name))

    def optional_id(self, name: str) -> int | None:
        value = self.attrib.get(name)
        if value is None or not value.strip():
            return None
        return self._parse(name, parse_id, value)

    def time(self, name: str) -> str:
        return self._parse(name, parse_timestamp, self._raw(name))

    def text(self, name: str) -> str:
        return self._raw(name)


class StackExchangeDump:
    """The four files of one site's dump in ``folder``; see the module doc."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = pathlib.Path(folder)
        if not self.folder.is_dir():
            raise DumpError(
                f"{self.folder}: no such folder (expected a Stack Exchange dump with {', '.join(FILES)})"
            )
        for name in FILES:
            if not (self.folder / name).is_file():
                raise DumpError(
                    f"{name}: missing from {self.folder} (a Stack Exchange dump needs {', '.join(FILES)})"
                )
        self.summary = DumpSummary()
        self._questions: array | None = None
        self._answers: array | None = None

    # -- reading ---------------------------------------------------------

    def _rows(self, name: str) -> Iterator[_Row]:
        """Stream the ``<row>`` children of the file's root, clearing as it goes."""
        path = self.folder / name
        number = 0
        try:
            with open(path, "rb") as stream:
                depth = 0
                root = None
                for event, elem in ET.iterparse(stream, events=("start", "end")):
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            root = elem
                            expected = _ROOT_TAGS[name]
                            if elem.tag != expected:
                                raise DumpError(
                                    f"{name}: the root element is <{elem.tag}>, expected <{expected}>; "
                                    "is this the right file?"
                                )
                        continue
                    depth -= 1
                    if depth != 1:
                        continue  # the root's end, or anything nested inside a row
                    if elem.tag == "row":
                        number += 1
                        row = _Row(name, number, dict(elem.attrib))
                        root.clear()  # drop every finished child of the root
                        yield row
                    else:
                        root.clear()
        except ET.ParseError as exc:
            line, column = exc.position
            reason = re.sub(r": line \d+, column \d+$", "", str(exc))
            raise DumpError(
                f"{name} line {line}, column {column + 1} (after row {number}): invalid XML: {reason}"
            ) from None
        except OSError as exc:
            raise DumpError(f"{name}: cannot read {path}: {exc.strerror or exc}") from None

    # -- the post-kind map ----------------------------------------------

    def _post_kinds(self) -> tuple[array, array]:
        """Sorted ids of the questions and of the answers in Posts.xml."""
        if self._questions is None or self._answers is None:
            questions = array("q")
            answers = array("q")
            for row in self._rows("Posts.xml"):
                post_id, kind = self._post(row)[:2]
                if kind == QUESTION:
                    questions.append(post_id)
                elif kind == ANSWER:
                    answers.append(post_id)
            questions = array("q", sorted(questions))
            answers = array("q", sorted(answers))
            for ids in (questions, answers):
                for i in range(1, len(ids)):
                    if ids[i] == ids[i - 1]:
                        raise DumpError(f"Posts.xml: Id {str(ids[i])!r} appears on more than one row")
            small, large = (questions, answers) if len(questions) <= len(answers) else (answers, questions)
            for post_id in small:
                if _contains(large, post_id):
                    raise DumpError(f"Posts.xml: Id {str(post_id)!r} is both a question and an answer")
            self._questions, self._answers = questions, answers
        return self._questions, self._answers

    # -- row parsers (each validates the same attributes on every row) ---

    @staticmethod
    def _post(row: _Row) -> tuple[int, int, int | None, str]:
        return (
            row.id("Id"),
            row.id("PostTypeId"),
            row.optional_id("OwnerUserId"),
            row.time("CreationDate"),
        )

    @staticmethod
    def _vote(row: _Row) -> tuple[int, int, int, str]:
        vote_id = row.id("Id")
        if vote_id < 1:
            # comment likes take the negative ids; votes must keep clear of them
            raise row.error("Id", row.attrib["Id"], "is not a positive integer")
        return vote_id, row.id("PostId"), row.id("VoteTypeId"), row.time("CreationDate")

    @staticmethod
    def _comment(row: _Row) -> tuple[int, int | None, str, int]:
        comment_id = row.id("Id")
        user_id = row.optional_id("UserId")
        created_at = row.time("CreationDate")
        score = row.optional_id("Score") or 0
        if score >= 1:
            if score >= COMMENT_LIKE_FACTOR:
                raise row.error(
                    "Score", row.attrib["Score"], f"is too large (at most {COMMENT_LIKE_FACTOR - 1} likes a comment)"
                )
            if comment_id < 0:
                raise row.error("Id", row.attrib["Id"], "is negative, which the ids of its likes cannot take")
            lowest = -(comment_id * COMMENT_LIKE_FACTOR + score)
            if not INT64_MIN <= lowest <= INT64_MAX:
                raise row.error("Id", row.attrib["Id"], "is too large to number its likes within 64 bits")
        return comment_id, user_id, created_at, score

    # -- the six kinds --------------------------------------------------

    def users(self) -> Iterator[tuple]:
        """``(id, username, name, created_at, is_bot)`` for every user."""
        count = 0
        for row in self._rows("Users.xml"):
            user_id = row.id("Id")
            name = row.text("DisplayName")
            created_at = row.time("CreationDate")
            count += 1
            yield (user_id, f"user{user_id}", name, created_at, user_id == BOT_ID)
        self.summary.users = count

    def _posts_of(self, kind: int) -> Iterator[tuple]:
        count = skipped = 0
        for row in self._rows("Posts.xml"):
            post_id, post_type, owner, created_at = self._post(row)
            if post_type == kind:
                count += 1
                yield (post_id, owner, created_at)
            elif post_type not in (QUESTION, ANSWER):
                skipped += 1
        self.summary.skipped_post_types = skipped
        if kind == QUESTION:
            self.summary.posts = count
        else:
            self.summary.reviews = count

    def posts(self) -> Iterator[tuple]:
        """``(id, user_id, created_at)`` for every question (PostTypeId 1)."""
        return self._posts_of(QUESTION)

    def reviews(self) -> Iterator[tuple]:
        """``(id, user_id, created_at)`` for every answer (PostTypeId 2)."""
        return self._posts_of(ANSWER)

    def comments(self) -> Iterator[tuple]:
        """``(id, user_id, created_at)`` for every comment."""
        count = 0
        for row in self._rows("Comments.xml"):
            comment_id, user_id, created_at, _score = self._comment(row)
            count += 1
            yield (comment_id, user_id, created_at)
        self.summary.comments = count

    def _votes_on(self, kind: int) -> Iterator[tuple[int, int, bool, str]]:
        """``(vote_id, post_id, is_up, created_at)`` for up/down votes on posts of ``kind``.

        Every pass over Votes.xml classifies all votes the same way, so the
        skip counts it leaves in the summary do not depend on which pass ran.
        """
        questions, answers = self._post_kinds()
        wanted = questions if kind == QUESTION else answers
        missing = other_type = 0
        for row in self._rows("Votes.xml"):
            vote_id, post_id, vote_type, created_at = self._vote(row)
            if not (_contains(questions, post_id) or _contains(answers, post_id)):
                missing += 1
            elif vote_type not in (UPVOTE, DOWNVOTE):
                other_type += 1
            elif _contains(wanted, post_id):
                yield vote_id, post_id, vote_type == UPVOTE, created_at
        self.summary.skipped_missing_target = missing
        self.summary.skipped_vote_types = other_type

    def likes(self) -> Iterator[tuple]:
        """``(id, user_id, likeable_type, likeable_id, is_like, created_at)``.

        First the up/down votes on questions (post likes and dislikes), then
        the likes that comment scores stand for.
        """
        count = 0
        for vote_id, post_id, is_up, created_at in self._votes_on(QUESTION):
            count += 1
            yield (vote_id, None, "post", post_id, is_up, created_at)
        for row in self._rows("Comments.xml"):
            comment_id, _user_id, created_at, score = self._comment(row)
            base = comment_id * COMMENT_LIKE_FACTOR
            for k in range(1, score + 1):
                count += 1
                yield (-(base + k), None, "comment", comment_id, True, created_at)
        self.summary.likes = count

    def review_votes(self) -> Iterator[tuple]:
        """``(id, user_id, review_id, vote_type, created_at)`` for up/down votes on answers."""
        count = 0
        for vote_id, post_id, is_up, created_at in self._votes_on(ANSWER):
            count += 1
            yield (vote_id, None, post_id, "up" if is_up else "down", created_at)
        self.summary.review_votes = count


def _contains(ids: array, value: int) -> bool:
    i = bisect_left(ids, value)
    return i < len(ids) and ids[i] == value
