"""The `scorekeeper` command: parse options, call the library, print, pick the exit code."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from datetime import date, datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from typer.core import TyperGroup

from scorekeeper import __version__, render
from scorekeeper.db import Database, translate
from scorekeeper.errors import ScorekeeperError, UnknownUserError, UsageError
from scorekeeper.values import format_points


class _Group(TyperGroup):
    """Turns scorekeeper's errors into one `Error:` line and the SPEC's exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScorekeeperError as exc:
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except sqlite3.Error as exc:
            translated = translate(exc, ctx.meta.get("db_path", "the database"))
            if translated is exc:
                raise
            render.error(str(translated))
            raise typer.Exit(translated.exit_code) from None
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, as other tools do.
            sys.stdout = open("/dev/null", "w")
            raise typer.Exit(0) from None


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Exact gamification scores for a community site, kept in SQLite.")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="Database file (default: scorekeeper.db, or `db` in the config).",
    show_default=False)]
ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", help="Settings file (default: ./scorekeeper.toml when present).",
    show_default=False)]
FormatOption = Annotated[Optional[Format], typer.Option(
    "--format", help="table, csv or json (default: table on a terminal, csv otherwise).",
    show_default=False)]
AsOfOption = Annotated[Optional[datetime], typer.Option(
    "--as-of", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
    help="The day the 30-day monthly window ends on (UTC; default today).",
    show_default=False)]
ExcelOption = Annotated[bool, typer.Option(
    "--excel-safe", help="In CSV, neutralise text cells that start with = + - @ tab or CR.")]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"scorekeeper {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    db: DbOption = None,
    config: ConfigOption = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    ctx.obj = {"db": db, "config": config}


def _loaded(ctx: typer.Context, db: Path | None, config: Path | None):
    from scorekeeper.config import load_settings

    root = ctx.find_root().obj or {}
    loaded = load_settings(config or root.get("config"),
                           {"db": db or root.get("db")})
    for text in loaded.warnings:
        render.warning(text)
    ctx.meta["db_path"] = loaded.settings.db
    return loaded


def _open(ctx: typer.Context, db: Path | None, config: Path | None, *, write: bool,
          loaded=None):
    from scorekeeper.scoring import Scoring

    settings = (loaded or _loaded(ctx, db, config)).settings
    database = Database(settings.db, settings.busy_timeout_seconds, write=write)
    ctx.call_on_close(database.close)
    return settings, database, Scoring.from_settings(settings)


def _remember_settings(ctx: typer.Context, db: Path | None, config: Path | None, loaded) -> None:
    """Cache the validated settings so the next quick-start call can skip validation."""
    from scorekeeper import fastpath

    root = ctx.find_root().obj or {}
    config_flag, db_flag = config or root.get("config"), db or root.get("db")
    key, _, _ = fastpath.settings_key(str(config_flag) if config_flag else None,
                                      str(db_flag) if db_flag else None)
    if key:
        fastpath.remember_settings(loaded.settings.db, key, loaded.settings, loaded.warnings)


def _as_of(value: datetime | None) -> date:
    return value.date() if value else datetime.now(timezone.utc).date()


@app.command()
def init(ctx: typer.Context, db: DbOption = None, config: ConfigOption = None) -> None:
    """Create the database and its schema, or upgrade it; safe to run again.

    Example: scorekeeper init --db scores.db
    """
    settings, database, _ = _open(ctx, db, config, write=True)
    render.say(f"database {settings.db} is ready (schema version "
               f"{__import__('scorekeeper.schema').schema.SCHEMA_VERSION})")


def _report_recalc(result, *, check: bool, seconds: float, quiet: bool) -> None:
    if result.adopted and not quiet:
        render.say("the weights or exclusions differ from those behind the stored scores; "
                   "`recalc` would adopt them" if check else
                   "adopted the new weights and exclusions from the settings")
    if quiet:
        return
    verb = "would change" if check else "changed"
    if result.was_stale or result.adopted:
        # Catching up with a bulk load or new settings is an update, not drift.
        render.say(f"recalc: {result.users:,} users, {verb} {result.changed:,} "
                   f"({'catching up with an import' if result.was_stale else 'new settings'}: "
                   f"updates, not drift), {seconds:.2f} s")
        return
    render.say(f"recalc: {result.users:,} users, {verb} {result.changed:,}, drift "
               f"{format_points(result.drift)} points, {seconds:.2f} s")


def _recalc(ctx, db, config, *, check: bool, quiet: bool, reason: str = "recalc") -> None:
    from scorekeeper.scoring import recalc_scores

    _, database, scoring = _open(ctx, db, config, write=not check)
    started = time.perf_counter()
    with render.status(reason, quiet=quiet) as step:
        result = recalc_scores(database, scoring, check=check, on_step=step)
    _report_recalc(result, check=check, seconds=time.perf_counter() - started, quiet=quiet)
    if check and (result.changed or result.was_stale or result.adopted):
        if result.was_stale and not quiet:
            render.say("the scores are marked stale: an import ran with --no-recalc or stopped "
                       "before its closing recalculation")
        raise typer.Exit(1)


@app.command()
def recalc(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Compare only; exit 1 on any difference.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Recalculate every score from the stored activity and fix any drift.

    Example: scorekeeper recalc --check   (for a monitor: exit 1 means drift)
    """
    _recalc(ctx, db, config, check=check, quiet=quiet)


@app.command("import")
def import_(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(metavar="FILE", help="CSV, NDJSON/JSONL or JSON files, one kind each.")],
    kind: Annotated[Optional[str], typer.Option("--kind", help="The kind of every file, instead of the file name.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Each file is the complete set of its kind: remove stored rows it lacks.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Store the good rows; write bad ones to <stem>.rejects.csv.")] = False,
    rejects: Annotated[Optional[Path], typer.Option("--rejects", help="Where to write rejected rows.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what would be added, changed and removed; store nothing.")] = False,
    no_recalc: Annotated[bool, typer.Option("--no-recalc", help="Skip the closing recalculation (marks scores stale).")] = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Load activity files; the kind comes from each file name (or --kind).

    Example: scorekeeper import sample_data/*.csv
    """
    from scorekeeper.importer import import_file
    from scorekeeper.scoring import mark_stale

    if replace and skip_invalid:
        raise UsageError("--replace with --skip-invalid is refused: a file with rejected rows "
                         "is not a complete set; fix the file, or drop one of the two options")
    if rejects and len(files) > 1:
        raise UsageError("--rejects takes one file at a time; leave it out to write "
                         "<stem>.rejects.csv beside each input")
    _, database, _ = _open(ctx, db, config, write=True)
    stored = 0
    for path in files:
        try:
            with render.progress(f"importing {path.name}", None) as bar:
                result = import_file(database, path, kind=kind, replace=replace,
                                     skip_invalid=skip_invalid, rejects=rejects, dry_run=dry_run,
                                     warn=render.warning,
                                     on_progress=lambda done, total: bar(done))
        except ScorekeeperError:
            # The files before this one stay, so the scores must reflect them.
            if stored and not dry_run and not no_recalc:
                _recalc_after_import(ctx, db, config)
            elif stored and no_recalc:
                with database.transaction() as conn:
                    mark_stale(conn)
            raise
        stored += 1
        unchanged = result.rows - result.added - result.changed
        verb = "would import" if dry_run else "imported"
        line = (f"{verb} {result.rows:,} {result.kind} from {path}: {result.added:,} added, "
                f"{result.changed:,} changed, {unchanged:,} unchanged")
        if replace:
            line += f", {result.removed:,} removed (with what hung on them)"
        if result.rejected:
            line += f" ({result.rejected:,} rejected, see {result.rejects_path})"
        render.say(line)
    if dry_run:
        return
    if no_recalc:
        with database.transaction() as conn:
            mark_stale(conn)
        render.say("skipped the recalculation: scores are stale until `scorekeeper recalc`")
        return
    _recalc_after_import(ctx, db, config)


def _recalc_after_import(ctx, db, config) -> None:
    from scorekeeper.scoring import recalc_scores

    _, database, scoring = _open(ctx, db, config, write=True)
    started = time.perf_counter()
    with render.status("updating scores") as step:
        result = recalc_scores(database, scoring, on_step=step)
    render.say(f"updated the scores of {result.changed:,} of {result.users:,} users "
               f"({time.perf_counter() - started:.2f} s)")


@app.command("import-stackexchange")
def import_stackexchange(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A Stack Exchange dump folder (Users.xml, Posts.xml, Votes.xml, Comments.xml).")],
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Load a Stack Exchange data dump; the database then matches the dump.

    Example: scorekeeper import-stackexchange ~/dumps/quantumcomputing.stackexchange.com
    """
    from scorekeeper.importer import import_dump

    _, database, _ = _open(ctx, db, config, write=True)
    with render.status("importing the dump") as step:
        results, summary = import_dump(database, folder, on_step=step)
    for result in results:
        render.say(f"{result.kind}: {result.rows:,} ({result.added:,} added, "
                   f"{result.changed:,} changed, {result.removed:,} removed)")
    for line in summary.lines():
        render.say(line)
    _recalc_after_import(ctx, db, config)


@app.command()
def calculate(
    ctx: typer.Context,
    user_id: Annotated[Optional[int], typer.Option("--user-id", help="The user to recalculate; without it, every user (as `recalc`).")] = None,
    as_of: AsOfOption = None, fmt: FormatOption = None, excel: ExcelOption = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Recalculate one user, store the row and print the breakdown.

    Example: scorekeeper calculate --user-id 42
    """
    if user_id is None:
        _recalc(ctx, db, config, check=False, quiet=False)
        return
    from scorekeeper import ranking, reports
    from scorekeeper.scoring import calculate_user
    from scorekeeper.values import INT64_MAX, INT64_MIN

    if not INT64_MIN <= user_id <= INT64_MAX:
        raise UnknownUserError(f"no user with id {user_id}: ids are signed 64-bit integers")

    _, database, scoring = _open(ctx, db, config, write=True)
    row = database.conn.execute("SELECT username, is_bot FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise UnknownUserError(f"no user with id {user_id}; see `scorekeeper export` for the users")
    if scoring.is_excluded(row[0], row[1]):
        raise UnknownUserError(f"user {user_id} ({row[0]}) is excluded from scoring lists "
                               "(a bot or in excluded_usernames); nothing was calculated")
    calculate_user(database, scoring, user_id)
    with database.snapshot() as conn:
        standing = ranking.show(conn, scoring, _as_of(as_of), user_id)
    reports.print_one(standing, reports.resolve_format(fmt.value if fmt else None, "show"), excel)


@app.command()
def hook(
    ctx: typer.Context,
    event: Annotated[str, typer.Argument(metavar="EVENT", help="The event, e.g. like.created, or - to read NDJSON events from stdin.")],
    json_text: Annotated[Optional[str], typer.Option("--json", help="The whole event object as JSON.")] = None,
    event_id: Annotated[Optional[str], typer.Option("--event-id", help="Unique id that makes the event idempotent.")] = None,
    id: Annotated[Optional[str], typer.Option("--id", help="The row's id.")] = None,
    user_id: Annotated[Optional[str], typer.Option("--user-id")] = None,
    username: Annotated[Optional[str], typer.Option("--username")] = None,
    name: Annotated[Optional[str], typer.Option("--name")] = None,
    created_at: Annotated[Optional[str], typer.Option("--created-at")] = None,
    is_bot: Annotated[Optional[str], typer.Option("--is-bot")] = None,
    likeable_type: Annotated[Optional[str], typer.Option("--likeable-type")] = None,
    likeable_id: Annotated[Optional[str], typer.Option("--likeable-id")] = None,
    is_like: Annotated[Optional[str], typer.Option("--is-like")] = None,
    review_id: Annotated[Optional[str], typer.Option("--review-id")] = None,
    vote_type: Annotated[Optional[str], typer.Option("--vote-type")] = None,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Apply one event (options or --json), or a stream of NDJSON events (`hook -`).

    Example: scorekeeper hook like.created --id 77 --user-id 5 --likeable-type post
    --likeable-id 12 --is-like true --created-at 2026-11-30T10:00:00Z
    """
    from scorekeeper import hooks

    loaded = _loaded(ctx, db, config)
    settings, database, scoring = _open(ctx, db, config, write=True, loaded=loaded)
    _remember_settings(ctx, db, config, loaded)
    options = {"id": id, "user_id": user_id, "username": username, "name": name,
               "created_at": created_at, "is_bot": is_bot, "likeable_type": likeable_type,
               "likeable_id": likeable_id, "is_like": is_like, "review_id": review_id,
               "vote_type": vote_type, "event_id": event_id}
    hooks.run_hook_command(database, scoring, event,
                           {k: v for k, v in options.items() if v is not None}, json_text,
                           settings.event_id_retention_days, sys.stdin, render.say)


@app.command()
def watch(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, metavar="DIR", help="The folder where activity files and event batches (events*.ndjson) are dropped.")],
    settle: Annotated[float, typer.Option("--settle", min=0, help="Seconds a file must stay unchanged before it is taken.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Take the files there now and exit (exit 3 if any failed); for cron.")] = False,
    move_done: Annotated[Optional[Path], typer.Option("--move-done", help="Move each file taken into this folder.")] = None,
    move_failed: Annotated[Optional[Path], typer.Option("--move-failed", help="Move each file that failed into this folder.")] = None,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Keep taking the files dropped into DIR until stopped (Ctrl-C or SIGTERM).

    Example: scorekeeper watch /srv/inbox --move-done /srv/done --move-failed /srv/failed
    """
    from scorekeeper.watch import Watcher, stop_on_signals

    settings, database, scoring = _open(ctx, db, config, write=True)
    watcher = Watcher(database, scoring, folder, settle=settle,
                      retention_days=settings.event_id_retention_days,
                      move_done=move_done, move_failed=move_failed,
                      note=render.say, warn=render.warning, error=render.error)
    if not once:
        render.say(f"watching {folder} (settle {settle:g} s); stop with Ctrl-C or SIGTERM")
    with stop_on_signals(watcher):
        summary = watcher.run(once=once)
    render.say(f"watch: {summary.done:,} taken, {summary.failed:,} failed, "
               f"{summary.skipped:,} skipped (taken before)")
    if once and summary.failed:
        raise typer.Exit(3)


@app.command()
def leaderboard(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=0, help="How many users.")] = 50,
    as_of: AsOfOption = None, fmt: FormatOption = None, excel: ExcelOption = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """All-time top users by total score.

    Example: scorekeeper leaderboard --limit 10 --format json
    """
    _report(ctx, db, config, "leaderboard", as_of, fmt, excel, limit=limit)


@app.command()
def risers(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=0, help="How many users.")] = 20,
    as_of: AsOfOption = None, fmt: FormatOption = None, excel: ExcelOption = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Users with the largest monthly increase (the 30 days up to --as-of).

    Example: scorekeeper risers --as-of 2026-11-30
    """
    _report(ctx, db, config, "risers", as_of, fmt, excel, limit=limit)


@app.command()
def show(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(metavar="USER", help="A user id (all digits) or a username.")],
    by_username: Annotated[bool, typer.Option("--username", help="USER is a username even if all digits.")] = False,
    as_of: AsOfOption = None, fmt: FormatOption = None, excel: ExcelOption = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """One user's rank, total, monthly increase and breakdown.

    Example: scorekeeper show ann
    """
    _report(ctx, db, config, "show", as_of, fmt, excel, user=user, by_username=by_username)


@app.command()
def export(
    ctx: typer.Context,
    as_of: AsOfOption = None, fmt: FormatOption = None, excel: ExcelOption = False,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Every ranked user with breakdown and monthly increase (CSV unless --format).

    Example: scorekeeper export --as-of 2026-11-30 > scores.csv
    """
    _report(ctx, db, config, "export", as_of, fmt, excel)


def _report(ctx, db, config, report: str, as_of, fmt, excel, **options) -> None:
    from scorekeeper import reports

    loaded = _loaded(ctx, db, config)
    settings, database, scoring = _open(ctx, db, config, write=False, loaded=loaded)
    reports.run_report(database, scoring, report, as_of=as_of.date() if as_of else None,
                       fmt=fmt.value if fmt else None, excel=excel, **options)
    _remember_settings(ctx, db, config, loaded)


@app.command("config")
def config_(ctx: typer.Context, db: DbOption = None, config: ConfigOption = None) -> None:
    """Print the effective settings and where each came from.

    Example: SCOREKEEPER_WEIGHTS__POST_LIKE=5 scorekeeper config
    """
    loaded = _loaded(ctx, db, config)
    settings = loaded.settings
    values = {
        "db": str(settings.db),
        "busy_timeout_seconds": format(settings.busy_timeout_seconds, "g"),
        "event_id_retention_days": str(settings.event_id_retention_days),
        "excluded_usernames": json.dumps(settings.excluded_usernames, ensure_ascii=False),
        **{f"weights.{key}": format_points(milli) for key, milli in settings.weights.milli().items()},
    }
    if loaded.config_path:
        render.say(f"config file: {loaded.config_path}")
    else:
        render.say("config file: none (no ./scorekeeper.toml)")
    width = max(len(key) for key in values)
    for key, value in values.items():
        sys.stdout.write(f"{key.ljust(width)} = {value}  # {loaded.sources[key]}\n")


def main() -> None:
    app()
