"""The command line: thin wrappers over :mod:`sopc.pipeline` and
:mod:`sopc.run`. A command reads its options, calls the library and prints
what it returns; it keeps no state between runs (tests run many
commands in one process).

Exit codes: 0 clean, 1 problems found (errors, or warnings with --strict),
2 usage errors (click's own), 70 an internal error (a bug: please report).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from sopc import __version__
from sopc.core import collector
from sopc.core.clock import parse_now
from sopc.core.diagnostics import Severity
from sopc.core.i18n import LANGUAGES, N_, _, ngettext, resolve_language
from sopc.core.progress import Progress
from sopc.terminal import Command, Group, progress_bar, speak
from sopc.core.render import render_json, render_text, summary_line

FORMATS_CHECK = ("text", "json")
FORMATS_PLAN = ("table", "jsonl", "csv", "ics", "xlsx", "html")  # sopc.plan.output.FORMATS (not imported for --help)


def _now(value: str | None, zone, option: str = "--now") -> dt.datetime:
    """The time ``option`` gives (else $SOPC_NOW, else now); a bad one is a
    usage error naming where it came from: ``option``, or the variable."""
    try:
        return parse_now(value or os.environ.get("SOPC_NOW"), zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option if value else "SOPC_NOW") from None


def _color(stream) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _print_diagnostics(result, fmt: str = "text") -> None:
    from sopc.pipeline import displayed

    diagnostics, sources = displayed(result)
    if fmt == "json":
        click.echo(render_json(diagnostics))
    elif diagnostics:
        click.echo(render_text(diagnostics, sources, color=_color(sys.stderr)), err=True)


def _use_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--lang, else $SOPC_LANG, else the locale: set before any subcommand
    builds a diagnostic, since a message is translated when it is made
    (:class:`sopc.terminal.Group` sets it even before click parses, for
    `sopc --help`; this is the word click's parsing has)."""
    speak(resolve_language(value))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sopc")
@click.option("--lang", type=click.Choice(LANGUAGES), is_eager=True, expose_value=False, callback=_use_language,
              help="Language of messages: zh or en (default: $SOPC_LANG, else the locale, e.g. LANG=zh_CN.UTF-8).")
def cli() -> None:
    """sopc: write community-group message SOPs as text, check them, see their
    plan, run them.

    \b
    Start here:
      sopc init my-sop           make a small working project
      sopc check my-sop          find every problem, with the line and a fix
      sopc plan my-sop --from 2026-11-23 --to 2026-11-29
                                 see every message that week, rendered
      sopc run my-sop --dry-run  what would go out now, printed
      sopc run my-sop            deliver on time, for good
      sopc status my-sop         what was sent, skipped, failed
      sopc report my-sop -o report.html
                                 the same as charts, by day, playbook, group
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS_CHECK), default="text", show_default=True,
              help="text for people; json for CI.")
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1).")
@click.option("--events", "events_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Also check what these simulated lifecycle events produce (JSONL).")
@click.option("--now", metavar="DATETIME", help="Check as if it were this time (default: now; env SOPC_NOW).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar, and nothing when there is no problem.")
def check(paths: tuple[Path, ...], fmt: str, strict: bool, events_path: Path | None, now: str | None,
          quiet: bool) -> None:
    """Check playbooks and report every problem at once.

    PATHS are project folders or .sop files (default: the current folder).
    The project is the folder holding sopc.toml.

    \b
    Examples:
      sopc check                       the project in this folder
      sopc check my-sop --strict       fail on warnings too (for CI)
      sopc check playbooks/welfare.sop --format json

    \b
    Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 bad usage.
    """
    with collector.loading():
        from sopc import pipeline

    progress = progress_bar(quiet)
    built = pipeline.build(list(paths), progress)  # built once; its zone tells --now
    result = pipeline.check_build(built, now=_now(now, built.zone), events_path=events_path, progress=progress)
    _print_diagnostics(result, fmt)
    if fmt == "text" and not result.diagnostics and not quiet:
        click.echo(_("no problems found"), err=True)
    warnings = any(d.severity is Severity.WARNING for d in result.diagnostics)
    sys.exit(1 if result.failed or (strict and warnings) else 0)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--from", "date_from", metavar="DATE", help="First day (YYYY-MM-DD; default: today).")
@click.option("--to", "date_to", metavar="DATE", help="Last day, included (default: 6 days after --from).")
@click.option("--group", metavar="ID", help="Only this group's messages.")
@click.option("--events", "events_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Simulate lifecycle events from this JSONL file, e.g. "
                   '{"event": "member.joined", "group": "g1", "member": "m1", "name": "小王", "at": "2026-11-24T10:00"}')
@click.option("--format", "fmt", type=click.Choice(FORMATS_PLAN), default="table", show_default=True,
              help="table for people; jsonl (one message per line, the stable contract) or csv for tools; "
                   "xlsx (one sheet per day) for Excel; ics for Outlook, Feishu or Google Calendar; "
                   "html: one page with a week grid and a month view, to open in a browser.")
@click.option("-o", "--output", "output_path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the plan to FILE instead of stdout (needed for xlsx on a terminal).")
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="csv: start with a UTF-8 byte-order mark, so Excel shows Chinese right; --no-bom for tools.")
@click.option("--now", metavar="DATETIME", help="Treat this as the current time (default: now; env SOPC_NOW).")
@click.option("--show-skipped", is_flag=True,
              help="Also list what the gate skips or defers (cap, gap, quiet hours, pauses), with the reason.")
@click.option("--paused", "paused", metavar="PLAYBOOK", multiple=True,
              help="Plan as if this playbook were paused for the whole window (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def plan(path: Path | None, date_from: str | None, date_to: str | None, group: str | None,
         events_path: Path | None, fmt: str, output_path: Path | None, bom: bool, now: str | None,
         show_skipped: bool, paused: tuple[str, ...], quiet: bool) -> None:
    """Show every message the playbooks send, rendered, in time order.

    The plan goes through the same gate as `sopc run` (quiet hours, the daily
    cap and the gap across every playbook, pauses): it lists what the runner
    sends, at the time it sends it.

    \b
    Examples:
      sopc plan examples/burger --from 2026-11-23 --to 2026-11-29
      sopc plan . --group hz_001 --format jsonl > week.jsonl
      sopc plan examples/lifecycle --events joins.jsonl --show-skipped
      sopc plan . --format xlsx -o plan.xlsx
      sopc plan . --format ics -o plan.ics
      sopc plan . --from 2026-12-01 --to 2026-12-31 --format html -o plan.html
    """
    with collector.loading():
        from sopc.plan import output
        from sopc import pipeline

    if fmt in output.BINARY_FORMATS and output_path is None and sys.stdout.isatty():
        raise click.UsageError(_("--format {format} writes a binary file, not text for a terminal: "
                                 "give -o plan.{format} (or redirect: > plan.{format})").format(format=fmt))
    progress = progress_bar(quiet, prints_on_terminal=output_path is None)
    result = pipeline.build([path] if path else [], progress)
    zone = result.zone
    moment = _now(now, zone)
    today = moment.astimezone(zone).date()
    first = _date(date_from, "--from") if date_from else today
    try:
        start, end = pipeline.plan_window(zone, first, _date(date_to, "--to") if date_to else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None
    events = pipeline.read_events(result, events_path)
    if result.failed:
        _print_diagnostics(result)
        click.echo(_("{summary}; fix them first (`sopc check` shows them too)").format(
            summary=summary_line(result.diagnostics)), err=True)
        sys.exit(1)
    _known_group(group, result.project.roster)
    _check_playbooks(result, paused)
    show_skipped = show_skipped or fmt in output.ALWAYS_FATES
    if show_skipped:
        items = pipeline.plan_fates(result, start, end, events=events, group=group, paused=paused,
                                    holidays=fmt in output.ALWAYS_FATES, progress=progress)
    else:
        items = pipeline.plan(result, start, end, events=events, group=group, paused=paused, progress=progress)
    if output_path is None and fmt in ("table", "jsonl"):
        out = sys.stdout  # the terminal's own encoding (click.get_text_stream is deprecated in Click 8.5)
        (output.write_fates if show_skipped else output.write)(items, out, fmt, zone)
        out.flush()
    else:
        how = output.PlanFile(zone=zone, window=(start, end), bom=bom, stamp=moment,
                              group_names={g.id: g.name for g in result.project.roster.groups if g.name},
                              title=result.project.root.resolve().name, program=result.program)
        _write_plan_file(output_path, lambda out: output.export(items, out, fmt, how, fates=show_skipped))
        if output_path is not None and fmt == "html":
            click.echo(_("{path}: {size}; open it in a browser").format(
                path=output_path, size=_size(output_path.stat().st_size)), err=True)
    _print_diagnostics(result)
    sys.exit(1 if result.failed else 0)


def _size(count: int) -> str:
    """``812 bytes``, ``14.2 KB``, ``3.1 MB``."""
    if count < 1000:
        return f"{count} bytes"
    return f"{count / 1000:.1f} KB" if count < 1_000_000 else f"{count / 1_000_000:.1f} MB"


def _write_plan_file(path: Path | None, write) -> None:
    """``write(binary stream)`` to stdout, or to ``path``: through a
    ``.part`` file renamed when complete, so an interrupted plan never leaves
    half a workbook where the last good one was."""
    if path is None:
        sys.stdout.flush()
        out = sys.stdout.buffer
        write(out)
        out.flush()
        return
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as out:
            write(out)
        os.replace(part, path)
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror or str(exc)) from None
    finally:
        if part.exists():
            part.unlink()


def _check_playbooks(result, names: tuple[str, ...]) -> None:
    from sopc.core.diagnostics import did_you_mean

    known = [p.name for p in result.program.playbooks]
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known) or (_("the playbooks are {names}").format(names=", ".join(known))
                                                 if known else _("the project has no playbooks"))
            raise click.BadParameter(_("no playbook `{name}`; {hint}").format(name=name, hint=hint),
                                     param_hint="--paused")


def _known_group(group: str | None, roster) -> None:
    """`--group` names a roster group (a typo would plan nothing, silently)."""
    if group is None or group in roster.by_id:
        return
    from sopc.core.diagnostics import did_you_mean

    ids = list(roster.by_id)
    hint = did_you_mean(group, ids) or (_("the groups are {ids}").format(ids=", ".join(ids[:10]) + (" ..." if len(ids) > 10 else ""))
                                        if ids else _("the roster has no groups"))
    raise click.BadParameter(_("no group `{group}` in the roster; {hint}").format(group=group, hint=hint),
                             param_hint="--group")


def _date(text: str, option: str) -> dt.date:
    from sopc.core.timeutil import range_problem

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(_("`{text}` is not a date; write YYYY-MM-DD, e.g. 2026-11-23").format(text=text),
                                 param_hint=option) from None
    problem = range_problem(day)
    if problem:
        raise click.BadParameter(problem, param_hint=option)
    return day


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--junit", "junit_path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the results as JUnit XML to FILE (for CI).")
def test_command(paths: tuple[Path, ...], junit_path: Path | None) -> None:
    """Run the project's playbook tests (`test` blocks in its .sop files).

    Each test plans its window with the events it gives, through the planner
    and the gate `sopc run` uses, and holds what goes out to its `expect`
    lines. PATHS are project folders, folders in one, or .sop files (default:
    the current folder): the tests in them run against the whole project.

    \b
    Examples:
      sopc test                        every test of the project in this folder
      sopc test examples/lifecycle
      sopc test playbooks/welfare.test.sop --junit test-results.xml

    \b
    Exit status: 0 every test passed (or there are none), 1 a test failed,
    2 bad usage, or errors in the project or its tests (nothing was run).
    """
    import dataclasses

    from sopc.pipeline import displayed
    from sopc.playtest import report
    from sopc.playtest.runner import run_tests

    run = run_tests(list(paths))
    if run.errors:
        diagnostics, sources = displayed(dataclasses.replace(run.build, diagnostics=run.errors))
        click.echo(render_text(diagnostics, sources, color=_color(sys.stderr)), err=True)
        click.echo(_("no test was run: fix these errors first"), err=True)
        _write_junit(junit_path, lambda: report.junit_errors_xml(diagnostics))
        sys.exit(2)
    click.echo(report.text_report(run, color=_color(sys.stdout)))
    _write_junit(junit_path, lambda: report.junit_xml(run))
    sys.exit(1 if run.failed else 0)


def _write_junit(path: Path | None, document) -> None:
    """`sopc test --junit FILE`: a file that cannot be written is a usage error (exit 2)."""
    if path is None:
        return
    from sopc.playtest.report import write_junit

    try:
        write_junit(path, document())
    except OSError as exc:
        click.echo(_("sopc: cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc), err=True)
        sys.exit(2)


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--now", metavar="DATETIME",
              help="Write it as of this time (default: now; env SOPC_NOW): the flash sale is dated from it.")
def init(directory: Path, now: str | None) -> None:
    """Create a small working project in DIRECTORY.

    It holds sopc.toml, a roster (groups.csv), a weekly welfare playbook, a
    flash-sale launch (the first Saturday a week or more ahead), a newcomer
    sequence, a template and a playbook test. It passes `sopc check --strict`
    and `sopc test` the day it is written, in any month.

    \b
    Examples:
      sopc init my-sop
      sopc check my-sop --strict
      sopc plan my-sop --from 2026-11-23 --to 2026-11-29
    """
    from sopc.core.timeutil import zone_or_default
    from sopc.project.scaffold import write_project

    zone = zone_or_default("Asia/Shanghai")  # the scaffold's sopc.toml says so
    today = _now(now, zone).astimezone(zone).date()
    try:
        written = write_project(directory, today)
    except FileExistsError as exc:
        raise click.ClickException(_("{problem}; choose an empty or new folder").format(problem=exc)) from None
    except OSError as exc:  # a read-only place, no permission, a name longer than the system allows
        raise click.ClickException(_("cannot write the project in {folder}: {problem}").format(
            folder=directory, problem=exc.strerror or exc)) from None
    for path in written:
        click.echo(_("created {path}").format(path=path))
    click.echo("\n" + _("next: sopc check {folder}  then  sopc plan {folder}  then  sopc run {folder} --dry-run").format(
        folder=directory))


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--check", is_flag=True, help="Write nothing; list the files that are not formatted and exit 1 if any.")
@click.option("--diff", "show_diff", is_flag=True, help="Write nothing; print what would change as a unified diff.")
def fmt_command(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Write .sop files in one canonical layout.

    PATHS are .sop files or folders (every .sop file under them; default:
    the current folder). Steps are aligned in columns, indentation is two
    spaces a block, spacing and full-width punctuation are normalised; every
    comment and the order of the steps are kept. A file with syntax errors
    is left untouched (its errors are printed, exit 1).

    \b
    Examples:
      sopc fmt                     format every .sop file here
      sopc fmt --check             in CI: exit 1 if a file is not formatted
      sopc fmt --diff playbooks/   show what would change
    """
    from sopc.core.render import render_text
    from sopc.project.formatting import format_paths

    results = format_paths(paths or (Path("."),), write=not (check or show_diff))
    if not results:
        raise click.ClickException(_("no .sop files in {paths}").format(paths=", ".join(map(str, paths or (".",)))))
    for result in results:
        if result.diagnostics:
            click.echo(render_text(result.diagnostics, {result.shown: result.before}, color=_color(sys.stderr)),
                       err=True)
        elif show_diff:
            click.echo(result.diff(), nl=False)
        elif check and result.changed:
            click.echo(result.shown)
        elif result.changed:
            if result.fixed:
                click.echo(ngettext("formatted {path} ({count} full-width character written in ASCII)",
                                    "formatted {path} ({count} full-width characters written in ASCII)",
                                    result.fixed).format(path=result.shown, count=result.fixed))
            else:
                click.echo(_("formatted {path}").format(path=result.shown))
    click.echo(_fmt_summary(results, written=not (check or show_diff)), err=True)
    if any(r.diagnostics for r in results) or (check and any(r.changed for r in results)):
        sys.exit(1)


def _fmt_summary(results, *, written: bool) -> str:
    changed = sum(r.changed for r in results)
    refused = sum(bool(r.diagnostics) for r in results)
    same = len(results) - changed - refused
    parts = []
    if changed and written:
        parts.append(ngettext("{count} .sop file formatted", "{count} .sop files formatted", changed).format(count=changed))
    elif changed:
        parts.append(ngettext("{count} .sop file would be formatted", "{count} .sop files would be formatted",
                              changed).format(count=changed))
    if same:
        parts.append(_("{count} already formatted").format(count=same))
    if refused:
        parts.append(_("{count} not formatted: fix the errors above first").format(count=refused))
    summary = ", ".join(parts)
    return summary + "; " + _("run `sopc fmt` to format them") if changed and not written else summary

class _UsageExitsOne(click.Command):
    """Bad usage exits 1, not click's 2: with --detailed-exitcode, 2 means "changes"."""

class _UsageExitsOne(Command):
    """Bad usage exits 1, not click's 2: with --detailed-exitcode, 2 means "changes"
    (a help page in the reader's language, as every command's)."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise


DIFF_DAYS = 28  # `sopc diff` without --to: four weeks


@cli.command(cls=_UsageExitsOne)
@click.argument("revisions", nargs=-1, metavar="[BASE] [HEAD] [PATH]")
@click.option("--from", "date_from", metavar="DATE", help="First day compared (YYYY-MM-DD; default: today).")
@click.option("--to", "date_to", metavar="DATE", help="Last day compared, included (default: 4 weeks from --from).")
@click.option("--format", "fmt", type=click.Choice(("text", "json", "markdown")), default="text", show_default=True,
              help="text for people; json for tools; markdown for a pull-request comment.")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 0 when nothing changed, 2 when something did, 1 on an error.")
@click.option("--events", "events_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Plan both sides with these lifecycle events (JSONL, as for `sopc plan --events`): "
                   "the one file as it is now, for BASE and HEAD alike.")
@click.option("--now", metavar="DATETIME", help="Treat this as the current time (default: now; env SOPC_NOW).")
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Plan in N processes, each a share of the groups (default: one per CPU, at most 4, "
                   "for 200 groups or more each).")
def diff(revisions: tuple[str, ...], date_from: str | None, date_to: str | None, fmt: str,
         detailed_exitcode: bool, events_path: Path | None, now: str | None, jobs: int | None) -> None:
    """Compare the plan of two revisions: what a change does to the messages.

    BASE and HEAD are git revisions (default BASE: where this branch left
    the default branch, origin/HEAD, main or master, else HEAD; default
    HEAD: the working tree, as it is). PATH is the project folder (default:
    the project of the current folder). Each revision is read from a copy
    (`git archive`): the working tree and the index are never touched.
    `sopc diff OLD_DIR NEW_DIR` compares two folders.

    Messages are matched by their stable id and told as added, removed,
    retimed (old -> new time), retexted (a word diff: [-old-]{+new+}) and
    retargeted (sender, mentions); alike changes are one line ("x1000").
    Then the diagnostics HEAD has and BASE has not.

    \b
    Examples:
      sopc diff                          this branch's edits, committed or not
      sopc diff main HEAD                what the commits since main change
      sopc diff HEAD~1 HEAD examples/burger --from 2026-11-23 --to 2026-12-31
      sopc diff origin/main HEAD --format markdown > comment.md
      sopc diff old-copy/ new-copy/

    \b
    Exit status: 0 (with --detailed-exitcode: 0 no change, 2 changes: a
    changed plan or a new diagnostic), 1 an error (bad usage too).
    """
    from sopc import pipeline, review
    from sopc.plan.diff_output import render
    from sopc.project.revisions import RevisionError

    try:
        pair = review.sides(revisions, Path.cwd())
        with review.built(pair) as both:
            zone = both.head.zone
            today = _now(now, zone).astimezone(zone).date()
            first = _date(date_from, "--from") if date_from else today
            last = _date(date_to, "--to") if date_to else first + dt.timedelta(days=DIFF_DAYS - 1)
            try:
                start, end = pipeline.plan_window(zone, first, last)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--to") from None
            report = review.compare(both, start, end, now=_now(now, zone), events_path=events_path, jobs=jobs)
    except RevisionError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(render(report, fmt), nl=False)
    if report.problem:
        sys.exit(1)
    sys.exit(2 if detailed_exitcode and report.changed else 0)


def _project_zone(root: Path):
    from sopc.project.config import load_config
    from sopc.core.timeutil import zone_or_default

    config, _problems = load_config(root)
    return zone_or_default(config.timezone)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--once", is_flag=True, help="Deliver what is due now (and late within grace), then exit: for cron or CI.")
@click.option("--dry-run", is_flag=True,
              help="One pass, like --once: print each message due now instead of sending it, then exit; "
                   "the state is not touched.")
@click.option("--resend-in-doubt", is_flag=True,
              help="Send again what a crashed run had claimed but not confirmed (at-least-once).")
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path),
              help="The state database (default: PROJECT/.sopc/state.db; env SOPC_STATE).")
@click.option("--now", metavar="DATETIME", help="With --once or --dry-run: act as if it were this time (env SOPC_NOW).")
@click.option("--concurrency", default=32, show_default=True, type=click.IntRange(1, 1000),
              help="Deliveries in flight at once (each sender still keeps its own rate limit).")
@click.option("-q", "--quiet", is_flag=True, help="Log problems only, not every sent message; no progress bar.")
def run(path: Path | None, once: bool, dry_run: bool, resend_in_doubt: bool, state_file: Path | None,
        now: str | None, concurrency: int, quiet: bool) -> None:
    """Deliver the playbooks' messages on time, through their senders.

    Runs until stopped (Ctrl-C or SIGTERM). State lives in
    PROJECT/.sopc/state.db: nothing is sent twice across restarts, and every
    message ends sent, failed, skipped (with why), cancelled or in-doubt
    (`sopc status` shows them). Edits to playbooks, templates, the roster or
    sopc.toml are picked up while running (or send SIGHUP); if the edit has
    errors the previous version keeps running.

    \b
    After downtime, a message less than its grace late (default 10m,
    `grace 30m` in a playbook) goes out late; an older one is recorded as
    skipped: missed, never blasted late.

    \b
    Examples:
      sopc run my-sop --dry-run          see what would go out, send nothing
      sopc run my-sop                    run for good (e.g. under systemd)
      sopc run my-sop --once             from cron: deliver what is due, exit
      sopc status my-sop                 what was sent, skipped, failed

    \b
    Exit status of a one-pass run (--once, --dry-run):
      0 every due message was sent, or nothing was due
        (skipped and cancelled messages are not failures)
      1 some deliveries failed (or are in doubt, or wait for a retry),
        or the run could not start (errors in the project, a missing secret)
      2 bad usage
    Run for good, sopc exits 0 when stopped by Ctrl-C or SIGTERM.
    """
    from sopc.run.daemon import RunRequest, run_project
    from sopc.run.runner import RunOptions

    paths = [path] if path else []
    root = _root(paths)
    zone = _project_zone(root)
    moment = None
    if now or ((once or dry_run) and os.environ.get("SOPC_NOW")):
        if not (once or dry_run):
            raise click.BadParameter(_("only with --once or --dry-run"), param_hint="--now")
        moment = _now(now, zone)
    options = RunOptions(concurrency=concurrency, resend_in_doubt=resend_in_doubt)
    request = RunRequest(paths=paths, once=once, dry_run=dry_run, state=state_file, now=moment,
                         options=options, quiet=quiet, zone=zone, progress=progress_bar(quiet))
    sys.exit(run_project(request, report=_print_diagnostics))


def _root(paths: list[Path]) -> Path:
    from sopc.project.paths import find_root  # not the loader: it imports the parser

    return find_root(paths)


def _open_state(root: Path, state_file: Path | None, *, must_exist: bool = True):
    from sopc.run.runlock import NoRunState, open_state

    try:
        return open_state(root, state_file, must_exist=must_exist)
    except NoRunState as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path),
              help="The state database (default: PROJECT/.sopc/state.db; env SOPC_STATE).")
@click.option("--format", "fmt", type=click.Choice(FORMATS_CHECK), default="text", show_default=True,
              help="text for people; json for monitoring.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000),
              help="How many upcoming / failed / in-doubt messages to list.")
def status(path: Path | None, state_file: Path | None, fmt: str, limit: int) -> None:
    """What the runner sent, skipped, failed, and will send next.

    Counts by state, skip reasons (missed, paused, quiet, cap), the next due
    messages, recent failures with the sender's error, in-doubt messages,
    paused playbooks, and 企业群发 sends still waiting for the group owner.

    \b
    Examples:
      sopc status my-sop
      sopc status my-sop --format json | jq .counts
    """
    from sopc.run import status as report
    from sopc.run.runlock import NoRunState

    root = _root([path] if path else [])
    try:
        data = report.project_status(root, state_file, limit=limit)
    except NoRunState as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(report.render_json(data) if fmt == "json" else report.render_text(data, _project_zone(root)))


@cli.command("report")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path),
              help="The state database (default: PROJECT/.sopc/state.db; env SOPC_STATE).")
@click.option("--from", "date_from", metavar="DATE", help="First day (YYYY-MM-DD; default: the first planned).")
@click.option("--to", "date_to", metavar="DATE", help="Last day, included (default: the last planned).")
@click.option("--top", default=15, show_default=True, type=click.IntRange(1, 500),
              help="How many groups get a bar of their own; the others share one (其他).")
@click.option("--format", "fmt", type=click.Choice(("html", "json")), default="html", show_default=True,
              help="html: one page with charts, for people; json: the same numbers, for CI.")
@click.option("-o", "--output", "output_path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to FILE (default: stdout).")
def report_command(path: Path | None, state_file: Path | None, date_from: str | None, date_to: str | None,
                   top: int, fmt: str, output_path: Path | None) -> None:
    """What the runner sent, skipped, failed, and what waits for a person, as charts.

    Per day, per playbook and per group (the busiest groups, the others as
    one bar): 已发送, 已跳过 by reason, 失败 by the sender's error, 待确认
    (企业群发 sends the group owner has not confirmed), and the 完成率 of
    企业群发 confirmations and of staff tasks. The page is one HTML file
    with nothing to fetch: open it, mail it, attach it to a ticket.

    \b
    Examples:
      sopc report my-sop -o report.html
      sopc report my-sop --from 2026-11-23 --to 2026-11-29 -o week.html
      sopc report my-sop --format json | jq .totals
    """
    import sqlite3

    from sopc.run import report as results
    from sopc.run.runlock import NoRunState

    if fmt == "html" and output_path is None and sys.stdout.isatty():
        raise click.UsageError(_("--format html writes a page, not text for a terminal: give -o report.html"))
    first = _date(date_from, "--from") if date_from else None
    last = _date(date_to, "--to") if date_to else None
    if first and last and last < first:
        raise click.BadParameter(_("{last} is before --from {first}").format(last=last, first=first),
                                 param_hint="--to")
    root = _root([path] if path else [])
    try:
        data = results.project_report(root, state_file, results.project_scope(root, first, last, top=top))
    except NoRunState as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(_("cannot read the run state: {error} (is it a sopc state file?)").format(
            error=exc)) from None
    text = results.render_html(data) if fmt == "html" else results.render_json(data) + "\n"
    _write_plan_file(output_path, lambda out: out.write(text.encode("utf-8")))
    if output_path is not None:
        wrote = (_("wrote {path}: {count} messages, {first} to {last}") if data["from"]
                 else _("wrote {path}: {count} messages"))
        click.echo(wrote.format(path=output_path, count=data["messages"], first=data["from"], last=data["to"]),
                   err=True)


@cli.command()
@click.argument("playbook")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path), help="The state database.")
@click.option("--now", metavar="DATETIME", help="Record it as of this time (default: now; env SOPC_NOW).")
def pause(playbook: str, path: Path | None, state_file: Path | None, now: str | None) -> None:
    """Stop sending PLAYBOOK's messages until `sopc resume PLAYBOOK`.

    What falls due while paused is recorded as skipped: paused, so resuming
    does not send a backlog. Takes effect at once in a running `sopc run`.

    \b
    Example:
      sopc pause 周福利 my-sop
    """
    _pause_or_resume(playbook, path, state_file, now, pausing=True)


@cli.command()
@click.argument("playbook")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path), help="The state database.")
@click.option("--now", metavar="DATETIME", help="Record it as of this time (default: now; env SOPC_NOW).")
def resume(playbook: str, path: Path | None, state_file: Path | None, now: str | None) -> None:
    """Send PLAYBOOK's messages again, from now on (no backlog).

    \b
    Example:
      sopc resume 周福利 my-sop
    """
    _pause_or_resume(playbook, path, state_file, now, pausing=False)


def _pause_or_resume(playbook: str, path: Path | None, state_file: Path | None, now: str | None, *,
                     pausing: bool) -> None:
    from sopc.run.pauses import UnknownPlaybook, set_paused

    root = _root([path] if path else [])
    at = _now(now, _project_zone(root))
    try:
        changed = set_paused(root, playbook, paused=pausing, at=at, state_file=state_file)
    except UnknownPlaybook as exc:
        raise click.BadParameter(str(exc), param_hint="PLAYBOOK") from None
    if pausing:
        click.echo((_("paused `{playbook}`: nothing of it is sent until `sopc resume {playbook}`; what falls due "
                      "meanwhile is recorded as skipped: paused") if changed else
                    _("`{playbook}` was already paused")).format(playbook=playbook))
    else:
        click.echo((_("resumed `{playbook}`: its messages go out again from now on") if changed
                    else _("`{playbook}` was not paused")).format(playbook=playbook))


@cli.command()
@click.argument("kind", required=False, metavar="EVENT")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--group", metavar="ID", help="The group it happened in (a roster id).")
@click.option("--member", metavar="ID", help="The member it is about (member.* events).")
@click.option("--name", metavar="NAME", help="The member's display name, for templates ({{ member.name }}).")
@click.option("--at", "at", metavar="DATETIME", help="When it happened (default: now), e.g. 2026-11-24T10:00.")
@click.option("--tag", metavar="TAG", help="member.tagged: the tag.")
@click.option("--stage", metavar="STAGE", help="group.stage: the stage.")
@click.option("--data", "data", metavar="KEY=VALUE", multiple=True,
              help="Extra fields for templates ({{ event.KEY }}); repeatable.")
@click.option("--file", "events_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Record every event of a JSONL file instead (one JSON object per line; any size).")
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path), help="The state database.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (--file).")
def event(kind: str | None, path: Path | None, group: str | None, member: str | None, name: str | None,
          at: str | None, tag: str | None, stage: str | None, data: tuple[str, ...], events_file: Path | None,
          state_file: Path | None, quiet: bool) -> None:
    """Record a lifecycle event, so `on EVENT` triggers start their steps.

    EVENT is member.joined, member.message, member.left, member.tagged,
    member.purchased or group.stage. A running `sopc run` wakes up and
    plans what the event starts at once. Events about groups that are not in
    the roster are ignored (and said so).

    --file reads the whole file first: if any line is refused, nothing is
    recorded. Then it records the file in chunks of 5,000 lines, each in one
    transaction (a running `sopc run` keeps sending meanwhile). A chunk
    recorded before is not recorded again: after a crash or a full disk,
    run the same file again and only the rest is recorded. An event with an
    "id" is recorded once, as by `sopc serve`.

    \b
    Examples:
      sopc event member.joined --group hz_001 --member m1 --name 小王
      sopc event member.purchased my-sop --group hz_001 --member m1 --data order=A1001
      sopc event member.message --group hz_001 --member m1 --at 2026-11-24T10:00
      sopc event --file events.jsonl my-sop
    """
    from sopc.events import intake, reader

    if events_file is not None and kind is not None and path is None:
        path, kind = Path(kind), None  # `sopc event --file x.jsonl PROJECT`
    root = _root([path] if path else [])
    facts = intake.project_facts(root)  # zone, roster and stages: no build of the project
    now = _now(None, facts.zone)
    if events_file is not None:
        if kind is not None:
            raise click.UsageError(_("give either EVENT with its options, or --file, not both"))
        _record_events_file(events_file, root, facts, now, state_file, progress_bar(quiet))
    if kind is None:
        raise click.UsageError(_("name the EVENT (e.g. member.joined), or give --file"))
    try:
        records = [reader.record_from_options(kind, group=group, member=member, name=name,
                                              at=_now(at, facts.zone, "--at") if at else None, tag=tag,
                                              stage=stage, data=data)]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    result = intake.parse_records(records, zone=facts.zone, now=now, roster_ids=facts.roster_ids,
                                  stages=facts.stages)
    for rejected in result.rejected:
        click.echo(_("error: {message}").format(message=rejected.message), err=True)
    if result.rejected:
        click.echo(_("nothing recorded; fix the events above and run again"), err=True)
        sys.exit(1)
    for index, reason in result.ignored:
        click.echo(_("ignored: {reason}").format(reason=reason), err=True)
    # Written before anything is stored: nothing after the write can fail
    # and make a user retry (and record it twice).
    confirmations = [_recorded_line(recorded, facts.zone) for recorded in result.recorded]
    state, store = _open_state(root, state_file, must_exist=False)
    try:
        intake.record(store, result, now)
    finally:
        store.close()
    for line in confirmations:
        click.echo(line)
    _wake_runner(state, bool(result.recorded))
    sys.exit(1 if result.ignored and not result.recorded else 0)


def _record_events_file(path: Path, root: Path, facts, now: dt.datetime, state_file: Path | None,
                        progress: Progress) -> None:
    """`sopc event --file`: check the whole file, then record it a chunk at a
    time (:mod:`sopc.events.intake`); exits."""
    import sqlite3

    from sopc.core.progress import counted
    from sopc.events import intake

    try:
        check = intake.check_file(path, facts, now, progress)
    except intake.EventFileError as exc:
        raise click.ClickException(_("{where}: {message}; nothing recorded").format(
            where=f"{path}{exc.where}", message=exc.message)) from None
    with check:
        for line, message in check.rejected:
            click.echo(_("{where}: error: {message}").format(where=f"{path}:{line}", message=message), err=True)
        if not check.ok:
            _and_more(ngettext("... and {count} more error", "... and {count} more errors",
                               check.rejected_count - len(check.rejected)), check.rejected_count - len(check.rejected))
            click.echo(_("nothing recorded; fix the events above and run again"), err=True)
            sys.exit(1)
        for line, reason in check.ignored:
            click.echo(_("{where}: ignored: {reason}").format(where=f"{path}:{line}", reason=reason), err=True)
        _and_more(ngettext("... and {count} more line ignored", "... and {count} more lines ignored",
                           check.ignored_count - len(check.ignored)), check.ignored_count - len(check.ignored))
        state, store = _open_state(root, state_file, must_exist=False)
        recorded = _Recorded(facts.zone)
        try:
            for chunk in counted(progress, _("recording events"), check.file_chunks(), check.to_record, size=_events_in):
                if not recorded.add(chunk, _record_chunk(store, chunk, now)):
                    break
        except sqlite3.Error as exc:  # a full disk, a lock held too long: this chunk is not recorded, nor the rest
            recorded.stop(chunk, _("the state database refused the write ({problem})").format(problem=exc))
        finally:
            store.close()
    recorded.report(path)
    _wake_runner(state, recorded.added > 0)
    sys.exit(1 if recorded.stopped_at is not None or (check.ignored_count and not check.to_record) else 0)


def _events_in(chunk) -> int:
    return len(chunk.events)


def _record_chunk(store, chunk, now: dt.datetime):
    """One chunk of an events file in one transaction (sopc serve's way, a
    batch): keyed by its lines (recorded before: not again), each event by
    its "id" if it has one."""
    import json

    from sopc.run.store import Batch

    return store.add_batches([Batch(events=chunk.events, ids=chunk.ids, digests=chunk.digests, key=chunk.key,
                                    key_digest=chunk.digest,
                                    answer=json.dumps({"recorded": len(chunk.events)}))], now)[0]


class _Recorded:
    """What recording an events file's chunks did, told as `sopc event` tells it."""

    SHOWN = 20  # events listed one by one

    def __init__(self, zone):
        self.zone = zone
        self.added = self.repeated = self.before = 0
        self.lines: list[str] = []
        self.conflicts: list[tuple[int, str]] = []   # (line, the id recorded before with other content)
        self.stopped_at: int | None = None          # the first line of the chunk not recorded
        self.why = ""                               # why it was not

    def add(self, chunk, result) -> bool:
        """Count what ``result`` says of ``chunk``; False: stop (nothing more is recorded)."""
        if result.answer is not None:
            self.before += len(chunk.events)
        elif result.conflicts:
            self.conflicts = [(chunk.lines[i], chunk.ids[i]) for i in result.conflicts]
            self.stop(chunk, _("an id was recorded before with other content"))
            return False
        else:
            self.added += result.added
            self.repeated += result.repeated
            if not result.repeated:
                room = max(self.SHOWN - len(self.lines), 0)
                self.lines += [_recorded_line(event, self.zone) for event in chunk.events[:room]]
        return True

    def stop(self, chunk, why: str) -> None:
        self.stopped_at, self.why = chunk.lines[0], why

    def report(self, path: Path) -> None:
        for line in self.lines:
            click.echo(line)
        if self.added > len(self.lines):
            click.echo(_("... and {count} more").format(count=f"{self.added - len(self.lines):,}") if self.lines else
                       _("recorded {count} events").format(count=f"{self.added:,}"))
        if self.before:
            click.echo(_("{count} events of these lines were recorded before (by an earlier `sopc event "
                         "--file`): not recorded again").format(count=f"{self.before:,}"), err=True)
        if self.repeated:
            click.echo(_("{count} events with an \"id\" recorded before: not recorded again").format(
                count=f"{self.repeated:,}"), err=True)
        for line, event_id in self.conflicts:
            click.echo(_("{where}: error: \"id\": `{id}` was recorded before with other content; "
                         "a new event needs a new id").format(where=f"{path}:{line}", id=event_id), err=True)
        if self.stopped_at is not None:
            click.echo(_("{where}: {why}: nothing recorded from this line on ({count} events before it were); "
                         "run the file again (fixed, if need be): what was recorded is not recorded twice").format(
                where=f"{path}:{self.stopped_at}", why=self.why, count=f"{self.added:,}"), err=True)


def _and_more(message: str, count: int) -> None:
    """The count of what was not listed one by one (after the first intake.SHOWN):
    ``message`` is its ngettext form, with ``{count}``."""
    if count > 0:
        click.echo(message.format(count=f"{count:,}"), err=True)


def _wake_runner(state: Path, recorded: bool) -> None:
    from sopc.run.runlock import notify_runner

    woke = notify_runner(state) if recorded else False
    click.echo(_("the running `sopc run` picks them up now") if woke else
               _("no `sopc run` is running: it picks them up when it starts"), err=True)


def _recorded_line(recorded, zone) -> str:
    who = f" {recorded.member}" + (f" ({recorded.name})" if recorded.name else "") if recorded.member else ""
    return _("recorded {event}{who} in {group} at {time}").format(
        event=recorded.kind, who=who, group=recorded.group, time=f"{recorded.at.astimezone(zone):%Y-%m-%d %H:%M}")


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 behind a reverse proxy that terminates TLS.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-env", default="SOPC_SERVE_TOKEN", show_default=True, metavar="NAME",
              help="The environment variable holding the bearer token callers must send.")
@click.option("--max-body", default=64 * 1024, show_default=True, type=click.IntRange(1, 16 * 1024 * 1024),
              help="Largest accepted request body, in bytes.")
@click.option("--max-connections", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Connections open at once; the next ones wait until one closes.")
@click.option("--state", "state_file", metavar="FILE", type=click.Path(path_type=Path), help="The state database.")
def serve(path: Path | None, host: str, port: int, token_env: str, max_body: int, max_connections: int,
          state_file: Path | None) -> None:
    """Receive lifecycle events over HTTP (for SCRM callbacks).

    POST /events with `Authorization: Bearer $SOPC_SERVE_TOKEN` and a JSON
    body: one event, a list, or {"events": [...]}, each like
    {"event": "member.joined", "group": "hz_001", "member": "m1", "name": "小王"}
    (`at` defaults to now). Answers 202 with what was recorded; 400 for bad
    JSON, 401 for a missing or wrong token, 408 for a request not in within
    15 s, 413 for a body over --max-body, 415 if not JSON, 422 for an invalid
    event (nothing recorded). A request is recorded all or nothing. Give
    each event an "id" (or the request an Idempotency-Key header) and a
    retry never records it twice. GET /healthz answers without a token. Run
    it beside `sopc run`, which it wakes.

    \b
    Example:
      export SOPC_SERVE_TOKEN=$(openssl rand -hex 32)
      sopc serve my-sop --port 8787
    """
    from sopc.run.runlock import state_path
    from sopc.run.serve import ServeError, run_server

    root = _root([path] if path else [])
    try:
        run_server(root, state_path(root, state_file), host=host, port=port, token_env=token_env,
                   max_body=max_body, max_connections=max_connections, log=lambda line: click.echo(line, err=True))
    except ServeError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS_CHECK), default="text", show_default=True,
              help="text for people, json for scripts.")
def senders(fmt: str) -> None:
    """List every installed sender kind: what it does, where it comes from,
    and what it can carry (sizes, message kinds, @all, rates, external groups).

    Sender kinds are plugins in the entry-point group `sopc.senders`, sopc's
    own included; listing them loads none of their code. Exits 1 if a plugin
    is broken (it is listed with what is wrong).
    """
    import json

    from sopc.core.sender_table import senders_json, senders_text
    from sopc.core.senders import read_registry

    registry = read_registry()
    if fmt == "json":
        click.echo(json.dumps(senders_json(registry), ensure_ascii=False, indent=2))
    else:
        click.echo(senders_text(registry))
    sys.exit(1 if registry.problems else 0)


@cli.command()
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Explain a diagnostic code: why sopc reports it, an example, the fix.

    CODE is a code from `sopc check`'s output, such as E0304 (e304 and 304
    work too). Without CODE, every code is listed with one line on it.
    The example under each explanation is a small project that `sopc
    check` really reports the code for, and the same project fixed.

    \b
    Examples:
      sopc explain E0304          the daily cap, at length
      sopc explain                every code, by family
      sopc --lang en explain W0302
    """
    from sopc.core.explain import load_explanations, normalise_code, render_explanation, render_index
    from sopc.core.i18n import language as current_language

    explanations = load_explanations()
    language = current_language()
    if code is None:
        click.echo(render_index(explanations, language), nl=False)
        return
    wanted = normalise_code(code)
    if wanted not in explanations:
        raise click.BadParameter(_("no diagnostic code `{code}`; `sopc explain` lists them all").format(code=code),
                                 param_hint="CODE")
    click.echo(render_explanation(explanations[wanted], language), nl=False)


def main() -> None:
    try:
        cli(prog_name="sopc")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # never show users a traceback; keep the detail for a report
        if os.environ.get("SOPC_DEBUG"):
            raise
        click.echo(_("sopc: internal error: {error}").format(error=f"{type(exc).__name__}: {exc}") + "\n" +
                   _("This is a bug in sopc. Run again with SOPC_DEBUG=1 for details and report it."), err=True)
        sys.exit(70)
