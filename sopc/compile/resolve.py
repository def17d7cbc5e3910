"""Stage 4, resolve: parsed files -> a :class:`Program` the planner can run.

Resolves every name (sender, timeline, template, stage, group, tag) against
the project, compiles templates once, merges each playbook's policies with the
project defaults, and reports what does not resolve with a did-you-mean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import field
from pathlib import Path
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

from sopc.core.records import dataclass
from sopc.lang import ast
from sopc.core import content
from sopc.core.diagnostics import Diagnostic, Span, did_you_mean, error, warning
from sopc.core.i18n import N_, _
from sopc.project.loader import Project, display_path, std_timelines
from sopc.project.roster import Group
from sopc.compile import media
from sopc.compile.templates import CompiledTemplate, TemplateStore
from sopc.core.vocabulary import DEFAULT_ZONE
from sopc.core.limits import MAX_IMAGES
from sopc.core.timeutil import known_zone_names, load_zone, parse_duration

DEFAULT_SENDER = "console"
# Where a step has no member to address (E0230), in the words of the message.
NOT_A_MEMBER_EVENT = {
    "schedule": N_("a scheduled step, posted to whole groups"),
    "launch": N_("in timeline `{timeline}`, launched with `run` for whole groups"),
    "event": N_("under `on {event}`, an event about the group, not a member"),
}
IMAGE_HINT = N_("an image is a JPG or PNG of at most 2 MiB: a path inside the project (read from the project folder) "
                "or an http(s) URL, fetched when sopc checks, plans or runs")
# What _unique names in its messages.
DEFINED_WORDS = {"timeline": N_("timeline"), "template": N_("template"), "playbook": N_("playbook")}


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    quiet_mode: str
    cap: int            # 0: no cap
    gap: dt.timedelta
    active_start: dt.date | None
    active_end: dt.date | None
    holidays: str       # skip | before | after | keep
    grace: dt.timedelta
    # `posts 3-6/day`: the minimum, for `sopc check` (the maximum is ``cap``); 0: none
    posts_min: int = 0
    # `peaks 09:00-11:00, 14:00-18:00`: (start, end) local times, for `sopc check`
    peaks: tuple[tuple[dt.time, dt.time], ...] = ()

    def in_quiet_hours(self, moment: dt.time) -> bool:
        return within_window(moment, self.quiet_start, self.quiet_end)


def within_window(moment: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """Whether ``moment`` is in [start, end), a window that may run over midnight."""
    if start is None or end is None:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One sendable step, compiled: what to send, however it is scheduled.

    A repeated step (`T+15m every 15m x3 lottery ...`) is one Step per round:
    named `lottery#2` (so its messages have their own ids), with `round` in
    its variables, and ``shift`` after the first round's time."""

    playbook: str
    name: str
    kind: str                 # text | markdown | image | link | action
    action: str | None        # dissolve | remind | remove (kind == action)
    template: CompiledTemplate | None
    mentions: tuple[str, ...]
    variables: dict
    span: Span
    body: ast.StepBody
    # `to member`: sent privately (1:1) to the event's member, not posted in
    # the group (so the group's cap and gap neither hold nor count it)
    private: bool = False
    round: int | None = None  # 1, 2, 3 ... of a repeated step; None: not repeated
    shift: dt.timedelta = dt.timedelta(0)  # how long after the first round this one comes
    # Rich content with named fields (links, mini-program cards, attachments),
    # checked here; the planned text is their canonical JSON (sopc.core.content).
    parts: tuple[content.Part, ...] = ()
    # An image step: what was read at compile time (sopc.compile.media.image_text); None for others.
    image: str | None = None

    @property
    def written_name(self) -> str:
        """The name as the step is written: `lottery` for each round `lottery#2`."""
        return self.name.partition("#")[0]


def round_name(name: str, number: int | None) -> str:
    """The name of one round of a repeated step: `lottery#2` (its messages' `step`, and part of their ids)."""
    return name if number is None else f"{name}#{number}"


def rounds(step: ast.TimelineStep | ast.TriggerStep) -> tuple[tuple[int | None, dt.timedelta], ...]:
    """(round, shift) for each time a timeline or lifecycle step is sent:
    ((None, 0),) for a step without `every ... xN`."""
    shifts = step.repeat.shifts() if step.repeat is not None else ()
    if not shifts:
        return ((None, dt.timedelta(0)),)
    return tuple((index + 1, shift) for index, shift in enumerate(shifts))


@dataclass(slots=True, kw_only=True)
class CompiledLaunch:
    launch: ast.Launch
    timeline: ast.Timeline
    groups: tuple[Group, ...]
    steps: tuple[tuple[ast.TimelineStep, Step], ...]
    variables: dict


@dataclass(slots=True, kw_only=True)
class CompiledTrigger:
    trigger: ast.Trigger
    # (offset, at_time, step); offsets relative to the event
    steps: tuple[tuple[dt.timedelta, dt.time | None, Step], ...]


@dataclass(slots=True, kw_only=True)
class CompiledPlaybook:
    ast: ast.Playbook
    name: str
    zone: ZoneInfo
    zone_name: str
    groups: tuple[Group, ...]
    sender: str | None        # the playbook's own; None: per group or project default
    policy: Policy
    variables: dict
    schedule: tuple[tuple[ast.ScheduleStep, Step], ...]
    launches: tuple[CompiledLaunch, ...]
    triggers: tuple[CompiledTrigger, ...]
    # `to ... in stage A, B`: every message only to groups in these stages (None: any stage)
    stages: frozenset[str] | None = None
    # steps of `in stage` blocks -> their stages (with the playbook's, both must hold)
    step_stages: dict[str, frozenset[str]] = field(default_factory=dict)
    staff_sender: str | None = None  # `staff NAME`: its actions go there, not to `sender`

    def allowed_stages(self, step: str) -> frozenset[str] | None:
        """The stages a group must be in for ``step`` to go to it when it
        falls due (None: it goes whatever the stage)."""
        own = self.step_stages.get(step) if self.step_stages else None
        if own is None:
            return self.stages
        return own if self.stages is None else own & self.stages

    @property
    def stage_limited(self) -> bool:
        return self.stages is not None or bool(self.step_stages)

    def all_steps(self) -> Iterator[Step]:
        """Every sendable step: scheduled, launched timelines', lifecycle."""
        yield from (step for _, step in self.schedule)
        yield from (step for launch in self.launches for _, step in launch.steps)
        yield from (step for trigger in self.triggers for _, _, step in trigger.steps)


@dataclass(slots=True, kw_only=True)
class Program:
    project: Project
    playbooks: tuple[CompiledPlaybook, ...]
    timelines: dict[str, ast.Timeline]
    stages: ast.Stages | None
    templates: TemplateStore
    default_sender: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def sender_for(self, playbook: CompiledPlaybook, group: Group, step: "Step | None" = None) -> str:
        """The sender of ``step`` (None: of the playbook's posts) in ``group``."""
        if step is not None and step.kind == "action" and playbook.staff_sender:
            return playbook.staff_sender
        return playbook.sender or group.sender or self.default_sender


def _check_imported_names(project: Project) -> list[Diagnostic]:
    """`import a, b from "x.sop"`: each name is a timeline or template of x.sop."""
    by_path = {f.path: f for f in project.files + project.library}
    problems = []
    for importer, imports in project.imports.items():
        for imp, target in imports:
            source = by_path.get(target)
            if source is None or not imp.names:
                continue
            defined = [t.name.value for t in source.timelines] + [t.name.value for t in source.templates]
            for name in imp.names:
                if name.value in defined:
                    continue
                elsewhere = std_timelines().get(name.value)
                if elsewhere and elsewhere != imp.path:
                    hint = _('`{name}` is in `{file}`: `import {name} from "{file}"`').format(name=name.value, file=elsewhere)
                else:
                    hint = did_you_mean(name.value, defined) or (
                        _("it defines: {names}").format(names=", ".join(f"`{d}`" for d in defined)) if defined
                        else _("it defines nothing"))
                problems.append(error("E0213", _("`{file}` has no timeline or template `{name}`").format(
                    file=imp.path, name=name.value), name.span, hint))
    return problems


def compile_program(project: Project) -> Program:
    resolver = _Resolver(project)
    resolver.diagnostics += _check_imported_names(project)
    if not project.files and not any(d.code == "E0607" for d in project.diagnostics):
        resolver.diagnostics.append(error(
            "E0609", _("found no .sop files to check"),
            hint=_("playbooks are .sop files in the project folder (`{folder}`) or its `playbooks` folder, or the "
                   "files you name; `sopc init DIR` writes a working example").format(folder=display_path(project.root))))
    playbooks = tuple(resolver.playbook(pb) for f in project.files for pb in f.playbooks)
    resolver.check_duplicate_playbooks(playbooks)
    resolver.check_member_counts()
    return Program(project=project, playbooks=playbooks, timelines=resolver.timelines,
                   stages=resolver.stages, templates=resolver.templates,
                   default_sender=resolver.default_sender, diagnostics=resolver.diagnostics)


class _Resolver:
    def __init__(self, project: Project):
        self.project = project
        self.diagnostics: list[Diagnostic] = []
        every_file = project.files + project.library
        self.timelines = self._unique({t.name.value: t for f in every_file for t in f.timelines},
                                      (t for f in every_file for t in f.timelines), "timeline", "E0211")
        named = self._unique({t.name.value: t for f in every_file for t in f.templates},
                             (t for f in every_file for t in f.templates), "template", "E0216")
        # Relative to the current folder, so messages name it the way the user would.
        self.templates = TemplateStore(Path(display_path(project.config.templates_dir)), named,
                                       project_dir=project.config.project_dir)
        all_stages = [s for f in every_file for s in f.stages]
        self.stages = all_stages[0] if all_stages else None
        for extra in all_stages[1:]:
            self.diagnostics.append(error("E0217", _("the group stages are declared twice"), extra.span,
                                          _("keep one `stages` block (the first is in {file})").format(
                                              file=all_stages[0].path)))
        senders = project.config.senders
        self.default_sender = next(iter(senders), DEFAULT_SENDER)
        self._compiled: dict[int, tuple[CompiledTemplate | None, list[Diagnostic]]] = {}
        self._member_reported: set[Span] = set()
        self._images: dict[str, str | media.ImageProblem] = {}
        self._images_reported: set[int] = set()
        self._parts_seen: dict[int, tuple[ast.Message, tuple[content.Part, ...]]] = {}

    def _unique(self, table: dict, items: Iterable, what: str, code: str) -> dict:
        seen: dict[str, ast.Name] = {}
        for item in items:
            name = item.name
            if name.value in seen and seen[name.value].span != name.span:
                first = seen[name.value].span
                library = {f.path for f in self.project.library}
                if name.span.path in library and first.path not in library:
                    # The clash is with an imported file the user cannot edit: point at their own.
                    self.diagnostics.append(error(
                        code, _("{what} `{name}` is also defined in `{file}`, which is imported").format(
                            what=_(DEFINED_WORDS[what]), name=name.value, file=name.span.path),
                        first, _("rename yours (`{file}` defines it at line {line})").format(
                            file=name.span.path, line=name.span.line)))
                else:
                    self.diagnostics.append(error(code, _("{what} `{name}` is defined twice").format(
                        what=_(DEFINED_WORDS[what]), name=name.value), name.span,
                        _("the first is at {where}; rename one").format(where=f"{first.path}:{first.line}")))
            seen.setdefault(name.value, name)
        return table

    # ---- playbooks -------------------------------------------------------------------
    def playbook(self, pb: ast.Playbook) -> CompiledPlaybook:
        for span in pb.repeated_settings:
            self.diagnostics.append(warning("W0215", _("this setting is written twice; the last one counts"), span,
                                            _("delete the line you do not mean")))
        zone_name, zone = self._zone(pb)
        variables = {a.key: a.value for a in pb.variables}
        groups = self._audience(pb.audience, pb.span) if pb.audience else self._no_audience(pb)
        sender = self._sender(pb.sender)
        compiled = CompiledPlaybook(
            ast=pb, name=pb.name.value, zone=zone, zone_name=zone_name, groups=groups, sender=sender,
            staff_sender=self._sender(pb.staff),
            policy=self._policy(pb), variables=variables,
            schedule=tuple((s, self.step(pb.name.value, s.name, s.body, _(NOT_A_MEMBER_EVENT["schedule"])))
                           for s in pb.steps),
            launches=tuple(l for l in (self._launch(pb, launch) for launch in pb.launches) if l),
            triggers=tuple(self._trigger(pb, t) for t in pb.triggers),
            stages=self._stage_limit(pb.audience_stages),
            step_stages={s.name.value: limit for s in pb.steps
                         if (limit := self._stage_limit(s.stages)) is not None})
        self._duplicate_steps(pb)
        if compiled.stage_limited and self.stages is not None:
            self._stage_blocks_never_sent(pb, compiled)
            self._stages_unknown(pb, compiled)
        self._posts_and_cap(pb)
        return compiled

    def _stage_blocks_never_sent(self, pb: ast.Playbook, compiled: CompiledPlaybook) -> None:
        """W0236: an `in stage` block none of whose stages the playbook's own `in stage` allows."""
        if compiled.stages is None:
            return
        reported: set[int] = set()
        known = {r.name.value for r in self.stages.rules}
        for step in pb.steps:
            limit = step.stages
            if limit is None or id(limit) in reported or compiled.allowed_stages(step.name.value):
                continue
            if any(n.value not in known for n in limit.names):
                continue  # a misspelt stage: E0203 says so
            reported.add(id(limit))
            self.diagnostics.append(warning(
                "W0236", _("these steps never go out: they are for {stages}, and playbook `{playbook}` sends only "
                           "in {allowed}").format(stages=", ".join(n.value for n in limit.names), playbook=pb.name.value,
                                                  allowed=", ".join(sorted(compiled.stages))),
                limit.span, _("name a stage the `to ... in stage` line allows, or widen that line")))

    def _stages_unknown(self, pb: ast.Playbook, compiled: CompiledPlaybook) -> None:
        """W0237: groups an `in stage` step reaches with no roster `created`
        day: until an event of theirs is recorded they have no age, so no
        stage, and the step skips them."""
        groups = {g.id: g for g in (*compiled.groups, *(g for l in compiled.launches for g in l.groups))}
        undated = sorted(g for g, group in groups.items() if group.created is None)
        if not undated:
            return
        limit = pb.audience_stages or next(s.stages for s in pb.steps if s.stages is not None)
        if len(undated) == 1:
            message = _("group `{group}` has no `created` day in the roster: until an event of theirs is recorded "
                        "they have no stage, and `in stage` steps skip them")
        else:
            message = _("groups `{group}` and {more} more have no `created` day in the roster: until an event of "
                        "theirs is recorded they have no stage, and `in stage` steps skip them")
        self.diagnostics.append(warning(
            "W0237", message.format(group=undated[0], more=len(undated) - 1), limit.span,
            _("add a `created` column (建群日期) to the roster with the day each group was created")))

    def _stage_limit(self, limit: ast.StageLimit | None) -> frozenset[str] | None:
        """`in stage A, B`: its names, each a stage of the `stages` block
        (E0203), and a `stages` block there to be in (E0235)."""
        if limit is None:
            return None
        if self.stages is None:
            self.diagnostics.append(error(
                "E0235", _("`in stage` needs the group stages, and no `stages` block declares them"), limit.span,
                _("declare them in a `stages` block at the left margin, e.g. `stages` with `成熟期 otherwise` "
                  "indented under it; or delete `in stage ...`")))
            return frozenset(n.value for n in limit.names)
        for name in limit.names:
            self._known_stage(name.value, name.span)
        return frozenset(n.value for n in limit.names)

    def _known_stage(self, name: str, span: Span | None) -> None:
        names = [r.name.value for r in self.stages.rules] if self.stages else []
        if name not in names:
            hint = did_you_mean(name, names) or (
                _("declare the stages in a `stages` block") if not names else
                _("stages: {names}").format(names=", ".join(names)))
            self.diagnostics.append(error("E0203", _("unknown stage `{name}`").format(name=name), span, hint))

    def _no_audience(self, pb: ast.Playbook) -> tuple[Group, ...]:
        if pb.steps and not pb.audience_unreadable:  # a broken `to` line has its own syntax error
            self.diagnostics.append(error("E0218", _("playbook `{playbook}` does not say which groups it posts to").format(
                playbook=pb.name.value), pb.name.span, _("add a line such as `to groups tagged 福利群` or `to all groups`")))
        return ()

    def _zone(self, pb: ast.Playbook) -> tuple[str, ZoneInfo]:
        name = pb.timezone.value if pb.timezone else self.project.config.timezone
        zone = load_zone(name)
        if zone is None:
            span = pb.timezone.span if pb.timezone else pb.span
            self.diagnostics.append(error("E0104", _("unknown time zone `{name}`").format(name=name), span,
                                          did_you_mean(name, known_zone_names()) or
                                          _("use an IANA name such as `{zone}`").format(zone=DEFAULT_ZONE)))
            return DEFAULT_ZONE, load_zone(DEFAULT_ZONE)
        return name, zone

    def _sender(self, name: ast.Name | None) -> str | None:
        if name is None:
            return None
        known = self.project.config.senders
        if name.value not in known and name.value != DEFAULT_SENDER:
            hint = did_you_mean(name.value, known) or (
                _("declare it in sopc.toml as [senders.{name}] with a `kind`").format(name=name.value)
                if not known else _("senders in sopc.toml: {names}").format(names=", ".join(sorted(known))))
            self.diagnostics.append(error("E0201", _("unknown sender `{name}`").format(name=name.value), name.span, hint))
        return name.value

    def _policy(self, pb: ast.Playbook) -> Policy:
        d = self.project.config.defaults
        quiet = pb.quiet
        return Policy(
            quiet_start=quiet.start.time if quiet and quiet.start else (None if quiet else d.quiet_start),
            quiet_end=quiet.end.time if quiet and quiet.end else (None if quiet else d.quiet_end),
            quiet_mode=quiet.mode if quiet else d.quiet_mode,
            cap=pb.posts.maximum if pb.posts else pb.cap.per_day if pb.cap else d.cap,
            gap=pb.gap.delta if pb.gap else d.gap,
            active_start=pb.active.start.date if pb.active and pb.active.start else None,
            active_end=pb.active.end.date if pb.active and pb.active.end else None,
            holidays=pb.holidays.mode if pb.holidays else d.holidays,
            grace=pb.grace.delta if pb.grace else d.grace,
            posts_min=pb.posts.minimum if pb.posts else 0,
            peaks=tuple((w.start.time, w.end.time) for w in pb.peaks.windows if w.start and w.end and
                        w.start.time != w.end.time) if pb.peaks else ())

    def _posts_and_cap(self, pb: ast.Playbook) -> None:
        """`posts 3-6/day` holds the daily cap (6): a `cap` line beside it would be a second one."""
        if pb.posts is not None and pb.cap is not None:
            self.diagnostics.append(error(
                "E0340", _("`{posts}` and `{cap}` in one playbook: the maximum of `posts` is the daily cap").format(
                    posts=f"posts {pb.posts.minimum}-{pb.posts.maximum}/day", cap=f"cap {pb.cap.per_day}/day"),
                pb.cap.span,
                _("delete the `cap` line (the cap is {maximum}/day from `posts`), or write the cap you mean "
                  "as the maximum of `posts`").format(maximum=pb.posts.maximum)))

    def _duplicate_steps(self, pb: ast.Playbook) -> None:
        for name in ast.repeated_names(pb.own_step_names()):
            self.diagnostics.append(error("E0209", _("step name `{step}` is used twice in `{playbook}`").format(
                step=name.value, playbook=pb.name.value), name.span,
                _("step names identify messages (their ids); give each step its own name")))

    # ---- audience ------------------------------------------------------------------
    def _audience(self, audience: ast.Audience, owner_span: Span) -> tuple[Group, ...]:
        roster = self.project.roster
        reported: set[str] = set()  # each unknown name once per audience (`a,a,a,...` 10,000 times is one mistake)
        if isinstance(audience, ast.GroupIds):
            for gid in audience.ids:
                if gid.value not in roster.by_id and gid.value not in reported:
                    reported.add(gid.value)
                    self.diagnostics.append(error("E0204", _("unknown group `{group}`").format(group=gid.value), gid.span,
                                                  did_you_mean(gid.value, roster.by_id) or _("add it to the roster")))
        if isinstance(audience, ast.GroupsTagged):
            for tag in _tags_in(audience.expr):
                if tag.value not in roster.tags and tag.value not in reported:
                    reported.add(tag.value)
                    self.diagnostics.append(error("E0205", _("no group in the roster has the tag `{tag}`").format(
                        tag=tag.value), tag.span, did_you_mean(tag.value, roster.tags) or _("check the roster's tags column")))
        groups = roster.select(audience)
        if not groups and not any(d.code in ("E0204", "E0205") for d in self.diagnostics):
            self.diagnostics.append(warning("W0206", _("this audience reaches no group"), audience.span,
                                            _("check the tags and the roster")))
        return groups

    # ---- steps ----------------------------------------------------------------------
    def rounds_of(self, playbook: str, step: ast.TimelineStep | ast.TriggerStep,
                  not_member: str | None = None) -> list[Step]:
        """The step compiled once per round it is sent in (``not_member``: as for :meth:`step`)."""
        compiled = self.step(playbook, step.name, step.body, not_member)
        if step.repeat is not None and not step.repeat.shifts():  # a repeat already reported: sent once, as round 1
            return [dataclasses.replace(compiled, variables={**compiled.variables, "round": 1})]
        result = []
        for number, shift in rounds(step):
            if number is None:
                result.append(compiled)
            else:
                result.append(dataclasses.replace(compiled, name=round_name(compiled.name, number), round=number,
                                                  shift=shift, variables={**compiled.variables, "round": number}))
        return result

    def step(self, playbook: str, name: ast.Name, body: ast.StepBody, not_member: str | None = None) -> Step:
        """``not_member``: why the step has no member to address (a weekly
        step, a launched timeline's, a group event's), None in a trigger on a
        member event: `to member` and `remove member` need one (E0230)."""
        if not_member is not None:
            self._member_forms(name, body, not_member)
        if isinstance(body, ast.RemoveMember):
            return Step(playbook=playbook, name=name.value, kind="action", action="remove", template=None,
                        mentions=(), variables={}, span=name.span, body=body)
        if isinstance(body, ast.DissolveGroup):
            return Step(playbook=playbook, name=name.value, kind="action", action="dissolve", template=None,
                        mentions=(), variables={}, span=name.span, body=body)
        if isinstance(body, ast.RemindStaff):
            template = self._template(body.content, body.span)
            return Step(playbook=playbook, name=name.value, kind="action", action="remind", template=template,
                        mentions=(), variables={a.key: a.value for a in body.variables}, span=name.span, body=body)
        kind = body.kind
        if isinstance(body.content, ast.TemplateRef) and not body.kind_given:
            definition = self.templates.named.get(body.content.name.value)
            kind = (definition.kind if definition and definition.kind else kind)
        parts = self._parts(body, kind)
        if parts:
            kind = content.message_kind(body.content is not None, parts)
        if kind == "image" and body.content is not None:
            return Step(playbook=playbook, name=name.value, kind=kind, action=None, template=None,
                        mentions=tuple(m.target for m in body.mentions), variables={}, span=name.span, body=body,
                        image=self._image(body.content), private=body.to_member is not None and not_member is None)
        return Step(playbook=playbook, name=name.value, kind=kind, action=None,
                    template=self._template(body.content, body.span) if body.content is not None else None,
                    mentions=tuple(m.target for m in body.mentions),
                    variables={a.key: a.value for a in body.variables}, span=name.span, body=body, parts=parts,
                    private=body.to_member is not None and not_member is None)  # else E0230 says it all

    def _member_forms(self, name: ast.Name, body: ast.StepBody, where: str) -> None:
        """`to member` / `remove member` where no event names a member."""
        if isinstance(body, ast.RemoveMember):
            span = body.span
            message = _("`remove member` removes the member an event is about, but step `{step}` is {where}")
            hint = _("put the step under a trigger on a member event (`on member.joined`, `on member.tagged 违规`, "
                     "`on member.silent 7d`, ...)")
        elif isinstance(body, ast.Message) and body.to_member is not None:
            span = body.to_member.span
            message = _("`to member` sends privately to the member an event is about, but step `{step}` is {where}")
            hint = _("put the step under a trigger on a member event (`on member.joined`, `on member.tagged 违规`, "
                     "`on member.silent 7d`, ...), or drop `to member` to post it in the group")
        else:
            return
        if span in self._member_reported:  # a timeline launched or used twice: said once
            return
        self._member_reported.add(span)
        self.diagnostics.append(error("E0230", message.format(step=name.value, where=where), span, hint))

    def _image(self, written: ast.Content) -> str:
        """The picture an image step sends, read (or fetched) now, once per
        source; a problem is reported at the source, once."""
        if not isinstance(written, ast.InlineText) or "{{" in written.text or "{%" in written.text:
            if id(written) not in self._images_reported:
                self._images_reported.add(id(written))
                self.diagnostics.append(error(
                    "E0425", _("an image is read when the playbook is compiled: write its path or URL as it is, "
                               "not as a template"), written.span,
                    _('image "images/poster.png" or image "https://.../poster.png"')))
            return ""
        source = written.text.strip()
        if source not in self._images and len(self._images) >= MAX_IMAGES:
            self._images[source] = media.ImageProblem(
                _("more than {limit} different images in one project: sopc reads at most {limit} per check, "
                  "plan or run").format(limit=MAX_IMAGES))
        if source not in self._images:
            try:
                self._images[source] = media.image_text(media.read_image(source, self.project.config.project_dir))
            except media.ImageProblem as exc:
                self._images[source] = exc
        found = self._images[source]
        if isinstance(found, media.ImageProblem):
            if id(written) not in self._images_reported:
                self._images_reported.add(id(written))
                self.diagnostics.append(error("E0425", str(found), written.span, _(IMAGE_HINT)))
            return ""
        return found

    def _parts(self, body: ast.Message, kind: str) -> tuple[content.Part, ...]:
        """The message's named-field parts, each field checked where it is written."""
        if not body.parts:
            return ()
        key = id(body)  # a timeline's steps compile once per launch: report each problem once
        if key not in self._parts_seen:
            self._parts_seen[key] = (body, self._check_parts(body, kind))
        return self._parts_seen[key][1]

    def _check_parts(self, body: ast.Message, kind: str) -> tuple[content.Part, ...]:
        if body.content is not None and kind != "text":
            self.diagnostics.append(error(
                "E0424", _("a `{kind}` message cannot have attachments: 企业群发 sends a plain text with them").format(
                    kind=kind), body.parts[0].span,
                _("attachments go with a text (`\"本周福利\" miniprogram ...`), or stand alone (`link url=... title=...`)")))
        parts = []
        for part in body.parts:
            if part.kind not in content.PART_FIELDS:
                self.diagnostics.append(error(
                    "E0424", _("`{kind}` is written with a text, not fields").format(kind=part.kind), part.span,
                    _("write `{kind} \"...\"`; fields are for {kinds}").format(
                        kind=part.kind, kinds=", ".join(content.PART_FIELDS))))
                continue
            fields = tuple((a.key, str(a.value)) for a in part.fields)
            spans = {a.key: a.span for a in part.fields}
            for code, field_name, message in content.field_problems(part.kind, fields):
                hint = content.field_hint(part.kind)
                if code == "E0420" and field_name is not None:
                    hint = did_you_mean(field_name, content.PART_FIELDS[part.kind]) or hint
                self.diagnostics.append(error(code, message, spans.get(field_name, part.span), hint))
            parts.append(content.Part(part.kind, tuple(sorted(fields))))
        if len(parts) > content.MAX_PARTS:
            self.diagnostics.append(error(
                "E0423", _("{count} parts in one message; a message takes at most {limit}").format(
                    count=len(parts), limit=content.MAX_PARTS),
                body.parts[content.MAX_PARTS].span, _("split them into two steps")))
        return tuple(parts)

    def _template(self, content: ast.Content, span: Span) -> CompiledTemplate | None:
        key = id(content)
        if key not in self._compiled:
            compiled, diagnostics = self.templates.compile(content, origin_span=content.span)
            self.diagnostics += [self._fit_to_line(_with_template_hint(d)) for d in diagnostics]
            self._compiled[key] = (compiled, diagnostics)
        return self._compiled[key][0]

    def _fit_to_line(self, diagnostic: Diagnostic) -> Diagnostic:
        """A template problem on a line of a triple-quoted text in a .sop file comes
        back spanning the whole line from column 1 (the text was dedented);
        point at the line's text instead of its indentation."""
        span = diagnostic.span
        source = self.project.sources.get(span.path) if span else None
        if span is None or source is None or span.column != 1:
            return diagnostic
        lines = source.split("\n")
        if not 1 <= span.line <= len(lines):
            return diagnostic
        line = lines[span.line - 1].rstrip("\r \t\u3000")
        text = line.lstrip(" \t\u3000")
        if not text:
            return diagnostic
        start = len(line) - len(text) + 1
        fitted = Span(path=span.path, line=span.line, column=start, end_line=span.line, end_column=len(line) + 1)
        return dataclasses.replace(diagnostic, span=fitted)

    # ---- timelines and triggers -------------------------------------------------------
    def _timeline(self, name: ast.Name) -> ast.Timeline | None:
        timeline = self.timelines.get(name.value)
        if timeline is None:
            library = std_timelines().get(name.value)
            if library:
                hint = _('`{name}` is in the standard library: add `import "{file}"` at the top of the file').format(
                    name=name.value, file=library)
            else:
                hint = did_you_mean(name.value, self.timelines) or (
                    _("define it with `timeline NAME ...` or import it, e.g. `import \"std/flash_sale.sop\"`"))
            self.diagnostics.append(error("E0202", _("unknown timeline `{name}`").format(name=name.value), name.span, hint))
        return timeline

    def _launch(self, pb: ast.Playbook, launch: ast.Launch) -> CompiledLaunch | None:
        timeline = self._timeline(launch.timeline)
        groups = self._audience(launch.audience, launch.span)
        if timeline is None:
            return None
        where = _(NOT_A_MEMBER_EVENT["launch"]).format(timeline=timeline.name.value)
        steps = tuple((s, step) for s in timeline.steps for step in self.rounds_of(pb.name.value, s, where))
        return CompiledLaunch(launch=launch, timeline=timeline, groups=groups, steps=steps,
                              variables={a.key: a.value for a in launch.variables})

    def _trigger(self, pb: ast.Playbook, trigger: ast.Trigger) -> CompiledTrigger:
        self._event(trigger.event)
        for until in trigger.until:
            self._event(until)
        kind = trigger.event.kind.value
        about_group = kind in ast.EVENT_KINDS and not kind.startswith("member.")  # (unknown: E0207 says so)
        not_member = _(NOT_A_MEMBER_EVENT["event"]).format(event=kind) if about_group else None
        if trigger.ordinal is not None and not_member is not None:
            self.diagnostics.append(error(
                "E0230", _("`{ordinal}` counts a member's events, but `{event}` is about no member").format(
                    ordinal=trigger.ordinal.text, event=kind),
                trigger.ordinal.span, _("count member events, e.g. `on member.tagged 违规 2nd`; drop the count here")))
        steps: list[tuple[dt.timedelta, dt.time | None, Step]] = []
        for item in trigger.steps:
            if isinstance(item, ast.UseTimeline):
                timeline = self._timeline(item.timeline)
                for s in timeline.steps if timeline else ():
                    if s.offset is not None and s.offset < dt.timedelta(0):
                        self.diagnostics.append(error("E0219", _(
                            "timeline `{timeline}` has a step before T (`{offset}`); a trigger cannot send before "
                            "its event").format(timeline=timeline.name.value, offset=s.offset_text),
                            item.span, _("use a timeline whose steps are all at T or later")))
                        continue
                    steps += ((s.offset or dt.timedelta(0), s.at_time.time if s.at_time else None, step)
                              for step in self.rounds_of(pb.name.value, s, not_member))
            elif item.offset is not None:
                steps += ((item.offset, item.at_time.time if item.at_time else None, step)
                          for step in self.rounds_of(pb.name.value, item, not_member))
        return CompiledTrigger(trigger=trigger, steps=tuple(steps))

    def _event(self, event: ast.EventSpec) -> None:
        kind = event.kind.value
        if kind not in ast.EVENT_KINDS:
            self.diagnostics.append(error("E0207", _("unknown event `{event}`").format(event=kind), event.kind.span,
                                          did_you_mean(kind, ast.EVENT_KINDS) or
                                          _("events: {names}").format(names=", ".join(ast.EVENT_KINDS))))
            return
        needs = {"member.silent": N_("`member.silent` needs a duration, e.g. `member.silent 7d`"),
                 "member.tagged": N_("`member.tagged` needs a tag, e.g. `member.tagged 高价值`"),
                 "group.stage": N_("`group.stage` needs a stage, e.g. `group.stage 沉默期`")}
        if kind in needs and event.argument is None:
            self.diagnostics.append(error("E0208", _(needs[kind]), event.span))
        if kind == "member.silent" and event.argument is not None:
            if parse_duration(event.argument) is None:
                self.diagnostics.append(error("E0103", _("`{token}` is not a duration").format(token=event.argument),
                                              event.argument_span, _("e.g. `member.silent 7d`")))
        if kind == "group.stage" and event.argument is not None:
            self._known_stage(event.argument, event.argument_span)

    def check_member_counts(self) -> None:
        """A stage rule on `members` starts from the roster's `members`
        column: a value there that is not a whole number would count as 0."""
        if self.stages is None or not any(c.metric == "members" for r in self.stages.rules
                                          for c in _stage_compares(r.condition)):
            return
        for group in self.project.roster.groups:
            text = str(group.variables.get("members", "")).strip()
            if text and not (text.isdigit() and len(text) <= 9):
                self.diagnostics.append(error(
                    "E0614", _("`members` of group `{group}` is `{text}`, not a whole number").format(
                        group=group.id, text=text), group.span,
                    _("write the group's member count (the `stages` rules on `members` start from it), e.g. 120")))

    def check_duplicate_playbooks(self, playbooks: tuple[CompiledPlaybook, ...]) -> None:
        self._unique({}, (p.ast for p in playbooks), "playbook", "E0210")


TEMPLATE_SYNTAX_HINT = N_("template syntax: `{{ name }}` for a value, `{% if x %}...{% endif %}` for a condition; "
                          "every `{{` needs its `}}`")


def _with_template_hint(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.code == "E0402" and not diagnostic.hint:
        return dataclasses.replace(diagnostic, hint=_(TEMPLATE_SYNTAX_HINT))
    return diagnostic


def _stage_compares(condition) -> Iterable[ast.StageCompare]:
    if isinstance(condition, ast.StageCompare):
        yield condition
    elif condition is not None:
        for term in condition.terms:
            yield from _stage_compares(term)


def _tags_in(expr: ast.TagExpr) -> Iterable[ast.Name]:
    if isinstance(expr, ast.TagIs):
        yield expr.tag
    elif isinstance(expr, ast.TagNot):
        yield from _tags_in(expr.operand)
    else:
        for operand in expr.operands:
            yield from _tags_in(operand)
