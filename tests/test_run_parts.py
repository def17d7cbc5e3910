"""The runner's parts one at a time, on a real SQLite file with a fake
clock: the planner (what the store holds), the worker (what goes out and how
it is recorded) and the 企业群发 confirmation poller."""

from __future__ import annotations

import asyncio
import datetime as dt

from projects import write_project
from simulate import RecordingSender, local

from sopc import pipeline
from sopc.core.clock import FixedClock
from sopc.core.events import Event
from sopc.core.messages import MessageState, Outcome, PlannedMessage
from sopc.run.confirm import ConfirmationPoller, ConfirmingSender
from sopc.run.deployment import Deployment, deploy
from sopc.run.planner import EDITED, STOPPED, Planner
from sopc.run.runner import RunOptions
from sopc.run.store import SQLiteStore
from sopc.run.worker import GONE_PLAYBOOK, RunTally, Worker
from sopc.senders.base import Confirmation, retry

S = MessageState
DAY = dt.timedelta(days=1)

WEEKLY = '''
playbook welfare "福利"
  to groups tagged 福利群
  周一 10:00   coupon   "【{{ group.store }}】本周券包已发放"
  周一 15:00   draw     "周一抽奖"
  周二 10:00   tuesday  "周二团购"
'''

LIFECYCLE = '''
playbook members "会员群"
  to groups tagged 福利群
  on member.joined until member.purchased
    +0              welcome   "欢迎 {{ member.name }}" @member
    +1d at 11:00    coupon    "{{ member.name }} 的新人券" @member
'''


def deployed(root, sender=None, env=None, previous: Deployment | None = None) -> Deployment:
    build = pipeline.build([root])
    assert not build.failed, build.diagnostics
    return deploy(build, previous, env=env or {}, runtime=None, override=sender or RecordingSender())


def planner_for(root, store, lines, lookahead=DAY) -> Planner:
    planner = Planner(store, lookahead=lookahead, log=lines.append)
    planner.deployment = deployed(root)
    return planner


def steps(store, state=None) -> list[tuple[str, str]]:
    return sorted((m.step, m.group) for m in store.messages(None if state is None else (state,)))


# ---- the planner ------------------------------------------------------------------------------

def test_the_planner_holds_a_lookahead_of_plan_and_refills_it_at_half(tmp_path):
    root = write_project(tmp_path / "p", {"w.sop": WEEKLY})
    store, lines = SQLiteStore(tmp_path / "state.db"), []
    planner = planner_for(root, store, lines)
    planner.start(local("2026-11-23T09:00"))
    assert {s for s, _ in steps(store)} == {"coupon", "draw"} and len(steps(store)) == 6
    assert store.get_meta("horizon") == local("2026-11-24T09:00").isoformat()
    assert planner.refill_time() == local("2026-11-23T21:00")
    assert lines == ["planned 6 new message(s) up to 2026-11-24 09:00"]

    planner.extend(local("2026-11-23T20:59"))  # more than half a lookahead still ahead: nothing to do
    assert len(steps(store)) == 6
    planner.extend(local("2026-11-23T21:00"))
    assert len(steps(store, S.PENDING)) == 9 and ("tuesday", "hz_001") in steps(store)
    assert planner.horizon() == local("2026-11-24T21:00")


def test_a_new_planner_on_the_same_store_continues_from_the_stored_horizon(tmp_path):
    root = write_project(tmp_path / "p", {"w.sop": WEEKLY})
    store = SQLiteStore(tmp_path / "state.db")
    planner_for(root, store, []).start(local("2026-11-22T09:00"))  # up to 11-23 09:00: nothing yet
    assert steps(store) == []
    lines = []
    planner_for(root, store, lines).start(local("2026-11-25T09:00"))  # down for three days
    assert len(steps(store)) == 9  # Monday's and Tuesday's are stored, for the gate to record missed
    assert lines == ["planned 9 new message(s) up to 2026-11-26 09:00"]


def test_the_planner_replans_after_an_edit_and_after_events(tmp_path):
    root = write_project(tmp_path / "p", {"w.sop": WEEKLY, "m.sop": LIFECYCLE})
    store, lines = SQLiteStore(tmp_path / "state.db"), []
    planner = planner_for(root, store, lines, lookahead=2 * DAY)
    now = local("2026-11-23T09:00")
    planner.start(now)
    assert planner.take_events(now) == 0

    store.add_event(Event(kind="member.joined", group="hz_001", member="m1", at=now, name="小王"), now)
    assert planner.take_events(now) == 1
    assert ("welcome", "hz_001") in steps(store, S.PENDING) and ("coupon", "hz_001") in steps(store, S.PENDING)
    later = now + dt.timedelta(hours=1)
    store.add_event(Event(kind="member.purchased", group="hz_001", member="m1", at=later), later)
    assert planner.take_events(later) == 1
    stopped = {(m.step, m.group): m.reason for m in store.messages((S.CANCELLED,))}
    assert stopped == {("coupon", "hz_001"): STOPPED}  # the welcome before the purchase stays

    (root / "w.sop").write_text(WEEKLY.replace('  周二 10:00   tuesday  "周二团购"\n', ""), encoding="utf-8")
    planner.deployment = deployed(root)
    result = planner.replan(now)
    assert result.cancelled == 3 and lines[-1] == "reloaded: 0 added, 0 changed, 3 cancelled"
    assert {m.reason for m in store.messages((S.CANCELLED,)) if m.step == "tuesday"} == {EDITED}


# ---- the worker -------------------------------------------------------------------------------

class HeldSender(RecordingSender):
    """Answers only when let go, to see what is in flight meanwhile."""

    def __init__(self):
        super().__init__()
        self.go = asyncio.Event()

    async def deliver(self, message):
        await self.go.wait()
        return await super().deliver(message)


def worker_for(tmp_path, files, sender, *, at, options=RunOptions()):
    root = write_project(tmp_path / "p", files)
    store, lines, clock = SQLiteStore(tmp_path / "state.db"), [], FixedClock(local(at))
    planner = planner_for(root, store, [])
    planner.start(clock.now())
    worker = Worker(store, clock, concurrency=options.concurrency, flush_every=options.flush_every,
                    retry=options.retry_policy(), log=lines.append, tally=RunTally())
    worker.deployment = deployed(root, sender)
    return worker, store, clock, lines


def test_the_worker_delivers_what_is_due_and_records_it(tmp_path):
    sender = RecordingSender()
    worker, store, clock, lines = worker_for(tmp_path, {"w.sop": WEEKLY}, sender, at="2026-11-23T09:59")
    asyncio.run(worker.drain_due())
    assert sender.delivered == [] and worker.tally.states == {}
    clock.moment = local("2026-11-23T10:00")
    asyncio.run(worker.drain_due())
    assert sorted(m.group for m in sender.delivered) == ["hz_001", "hz_002", "sh_001"]
    assert steps(store, S.SENT) == [("coupon", "hz_001"), ("coupon", "hz_002"), ("coupon", "sh_001")]
    assert worker.tally.states == {"sent": 3}
    assert "sent 11-23 10:00 welfare/coupon -> hz_001" in lines
    assert worker.history.last("hz_001") == local("2026-11-23T10:00")


def test_the_worker_reschedules_a_retry_answer_by_the_retry_policy(tmp_path):
    sender = RecordingSender({"coupon@hz_001": [retry("errcode 45009: api freq out of limit")]})
    worker, store, _, lines = worker_for(tmp_path, {"w.sop": WEEKLY}, sender, at="2026-11-23T10:00")
    asyncio.run(worker.drain_due())
    [again] = [m for m in store.messages((S.PENDING,)) if m.step == "coupon"]
    assert again.group == "hz_001" and again.attempts == 1
    busy = "retrying: errcode 45009: api freq out of limit"
    assert again.due == local("2026-11-23T10:00:30") and again.reason == busy
    assert f"{busy} 11-23 10:00 welfare/coupon -> hz_001: now due 11-23 10:00" in lines
    assert worker.history.last("hz_001") is None  # not posted: the gap and cap do not count it


def test_the_worker_keeps_no_more_than_its_concurrency_in_flight(tmp_path):
    sender = HeldSender()
    worker, store, _, _ = worker_for(tmp_path, {"w.sop": WEEKLY}, sender, at="2026-11-23T10:00",
                                     options=RunOptions(concurrency=2))

    async def run():
        assert worker.pump() == 2
        assert worker.in_flight == 2 and worker.full
        assert len(list(store.messages((S.CLAIMED,)))) == 2 and len(steps(store, S.PENDING)) == 4
        assert worker.pump() == 0  # no room
        sender.go.set()
        await worker.drain_due()

    asyncio.run(run())
    assert worker.in_flight == 0 and len(sender.delivered) == 3 and len(steps(store, S.SENT)) == 3


def test_the_worker_cancels_a_due_message_whose_playbook_left_the_project(tmp_path):
    sender = RecordingSender()
    worker, store, _, lines = worker_for(tmp_path, {"w.sop": WEEKLY}, sender, at="2026-11-23T10:00")
    (tmp_path / "p" / "w.sop").write_text(WEEKLY.replace("welfare", "welfare2"), encoding="utf-8")
    worker.deployment = deployed(tmp_path / "p", sender, previous=worker.deployment)
    asyncio.run(worker.drain_due())
    assert sender.delivered == [] and len(steps(store, S.CANCELLED)) == 3
    assert {m.reason for m in store.messages((S.CANCELLED,))} == {GONE_PLAYBOOK}
    assert worker.tally.reasons == {GONE_PLAYBOOK: 3}


# ---- the confirmation poller ------------------------------------------------------------------

class AskingSender(RecordingSender):
    """A sender whose sends a group owner confirms: answers from ``answers``."""

    def __init__(self, answers=None, trouble: Exception | None = None):
        super().__init__()
        self.answers = answers or {}
        self.trouble = trouble
        self.asked: list[list] = []

    async def confirmations(self, pending):
        self.asked.append(list(pending))
        if self.trouble is not None:
            raise self.trouble
        return {remote_id: self.answers[remote_id] for remote_id, _, _ in pending if remote_id in self.answers}


QUNFA = {"c.sop": '''
playbook customers "客户群"
  to groups tagged 福利群
  sender qunfa
  周一 10:00   weekly   "本周会员日"
''', "sopc.toml": '''timezone = "Asia/Shanghai"
[senders.qunfa]
kind = "wecom-groupmsg"
corp_id_env = "TEST_CORP_ID"
secret_env = "TEST_CORP_SECRET"
''', "groups.csv": '''id,name,tags,owner,external,address
hz_001,一群,福利群,zhangsan,yes,wr001
hz_002,二群,福利群,lisi,yes,wr002
'''}
ENV = {"TEST_CORP_ID": "ww-corp", "TEST_CORP_SECRET": "corp-secret-value"}
TEN = local("2026-11-23T10:00")


def sent_through_qunfa(tmp_path, sender) -> tuple[ConfirmationPoller, SQLiteStore, list[str]]:
    """Two 企业群发 sends (remote ids r-hz_001, r-hz_002) waiting for their owners."""
    root = write_project(tmp_path / "p", QUNFA)
    store, lines = SQLiteStore(tmp_path / "state.db"), []
    rows = [(PlannedMessage(id=f"weekly-{g}", at=TEN, playbook="customers", step="weekly", group=g, member=None,
                            sender="qunfa", kind="text", mentions=(), text="本周会员日"), "plan")
            for g in ("hz_001", "hz_002")]
    store.sync(rows, start=TEN, end=TEN + DAY, origins=["plan"], now=TEN, cancel_reason="edited")
    store.claim([row.id for row, _ in rows], TEN)
    store.settle([Outcome(row.id, S.SENT, remote_id=f"r-{row.group}") for row, _ in rows], TEN)
    poller = ConfirmationPoller(store, every=dt.timedelta(minutes=10), log=lines.append)
    poller.deployment = deployed(root, sender, env=ENV)
    return poller, store, lines


def confirms(store) -> dict[str, tuple[str, str | None]]:
    return {m.group: (m.confirm, m.confirm_detail) for m in store.messages()}


def test_the_poller_asks_with_the_owner_and_chat_and_writes_what_changed(tmp_path):
    sender = AskingSender({"r-hz_001": Confirmation(state="confirmed"),
                           "r-hz_002": Confirmation(state="waiting", detail="群主未确认")})
    poller, store, _ = sent_through_qunfa(tmp_path, sender)
    assert isinstance(sender, ConfirmingSender) and not isinstance(RecordingSender(), ConfirmingSender)
    assert asyncio.run(poller.poll()) == 1
    assert sender.asked == [[("r-hz_001", "zhangsan", "wr001"), ("r-hz_002", "lisi", "wr002")]]
    assert confirms(store) == {"hz_001": ("confirmed", None), "hz_002": ("waiting", None)}
    assert asyncio.run(poller.poll()) == 0
    assert sender.asked[-1] == [("r-hz_002", "lisi", "wr002")]  # a confirmed send is not asked about again


def test_a_sender_that_cannot_tell_is_not_asked(tmp_path):
    poller, store, lines = sent_through_qunfa(tmp_path, RecordingSender())
    assert asyncio.run(poller.poll()) == 0
    assert confirms(store) == {"hz_001": ("waiting", None), "hz_002": ("waiting", None)} and lines == []


def test_a_failing_poll_is_a_warning_without_the_secret(tmp_path):
    sender = AskingSender(trouble=RuntimeError("token for corp-secret-value expired"))
    poller, store, lines = sent_through_qunfa(tmp_path, sender)
    assert asyncio.run(poller.poll()) == 0
    assert lines == ["warning: cannot ask qunfa for confirmations: token for *** expired"]
    assert confirms(store)["hz_001"] == ("waiting", None)


def test_the_poller_asks_once_per_period(tmp_path):
    sender = AskingSender()
    poller, _, _ = sent_through_qunfa(tmp_path, sender)
    for minutes in (0, 5, 9, 10, 15, 20):
        asyncio.run(poller.poll_if_due(TEN + dt.timedelta(minutes=minutes)))
    assert len(sender.asked) == 3 and poller.next_poll == TEN + dt.timedelta(minutes=30)
