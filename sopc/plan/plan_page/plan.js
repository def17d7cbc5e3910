// sopc plan page: reads the plan from #plan-data and draws the week grid or
// the month view. Every text goes in through textContent (never as HTML):
// a step's text is whatever an operator (or a member's nickname) wrote.
"use strict";
(function () {
  var D = JSON.parse(document.getElementById("plan-data").textContent);
  // Fields of an entry (sopc/plan/html.py, _Page.add, writes them in this order).
  var T = 0, STEP = 1, SENDER = 2, KIND = 3, STATUS = 4, REASONS = 5, SCHEDULED = 6, GROUPS = 7,
      MEMBER = 8, PRIVATE = 9, MENTIONS = 10, TEXT = 11, SAME = 12;
  var DAY = 1440, HOUR_PX = 48, BLOCK_MINUTES = 45, MAX_LANES = 4, MONTH_SHOWN = 4, PANEL_SHOWN = 30;
  var WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  var STATUS_WORDS = { planned: "计划发送", deferred: "推迟", skipped: "已跳过", later: "推迟到窗口后" };
  var REASON_WORDS = { cap: "超过每日上限", gap: "离上一条太近（间隔）", quiet: "免打扰", stage: "群阶段不符",
                       paused: "剧本已暂停", missed: "错过发送时间",
                       holiday: "法定节假日（剧本设为节假日跳过）" };
  var KIND_WORDS = { text: "文本", markdown: "Markdown", image: "图片", link: "图文链接", miniprogram: "小程序",
                     attachments: "附件", action: "操作" };
  var entries = D.entries;
  var holidays = {};
  D.holidays.forEach(function (h) { holidays[dayOf(h[0])] = h[1]; });

  var state = { view: "week", week: 0, month: 0,
                f: { group: "", tag: "", playbook: "", sender: "", status: "" } };

  // ---- small helpers ------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function $(id) { return document.getElementById(id); }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Times are local minutes since 1970-01-01 00:00 (the project's zone), read with UTC
  // methods so the computer's own zone never shifts them.
  function dayOf(iso) { var p = iso.split("-"); return Math.round(Date.UTC(+p[0], +p[1] - 1, +p[2]) / 86400000); }
  function dateOf(day) { var d = new Date(day * 86400000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }
  function shortDate(day) { var d = new Date(day * 86400000); return (d.getUTCMonth() + 1) + "月" + d.getUTCDate() + "日"; }
  function clock(minutes) { var m = ((minutes % DAY) + DAY) % DAY; return pad(Math.floor(m / 60)) + ":" + pad(m % 60); }
  function when(minutes) { return dateOf(Math.floor(minutes / DAY)) + " " + clock(minutes); }
  function weekday(day) { return ((day + 3) % 7 + 7) % 7; }           // 1970-01-01 was a Thursday; Monday = 0
  function monday(day) { return day - weekday(day); }
  function monthIndex(day) { var d = new Date(day * 86400000); return d.getUTCFullYear() * 12 + d.getUTCMonth(); }
  function monthStart(index) { return Math.round(Date.UTC(Math.floor(index / 12), index % 12, 1) / 86400000); }
  function lowerBound(minute) {   // first entry at or after minute (entries are in time order)
    var lo = 0, hi = entries.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (entries[mid][T] < minute) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function playbookOf(e) { return D.playbooks[D.steps[e[STEP]].playbook]; }
  function colour(pb, light) { return light ? "hsl(" + pb.hue + ", 70%, 94%)" : "hsl(" + pb.hue + ", 62%, 42%)"; }
  function groupName(index) { var g = D.groups[index]; return g.name || g.id; }
  function groupsOf(e) { return D.groupSets[e[GROUPS]]; }
  function target(e) {
    var set = groupsOf(e);
    if (set.length > 1) return "×" + set.length + " 群";
    var name = groupName(set[0]);
    if (e[MEMBER] === null) return name;
    return (e[PRIVATE] ? "私聊 " : "→ ") + e[MEMBER] + " · " + name;   // the member first: the name is long
  }

  // ---- filters --------------------------------------------------------------------------
  var setCache = {};
  function setMatches(setIndex) {   // how many of the entry's groups pass the group and tag filters
    if (setIndex in setCache) return setCache[setIndex];
    var set = D.groupSets[setIndex], f = state.f, n = 0;
    for (var i = 0; i < set.length; i++) {
      var g = D.groups[set[i]];
      if ((f.group === "" || String(set[i]) === f.group) && (f.tag === "" || g.tags.indexOf(+f.tag) >= 0)) n++;
    }
    return (setCache[setIndex] = n);
  }
  function messages(e) {   // how many messages the entry stands for under the filters (0: hidden)
    var f = state.f, s = e[STATUS];
    if (f.playbook !== "" && String(D.steps[e[STEP]].playbook) !== f.playbook) return 0;
    if (f.sender !== "" && String(e[SENDER]) !== f.sender) return 0;
    if (f.status === "sent" && s !== "planned" && s !== "deferred") return 0;
    if (f.status === "deferred" && s !== "deferred" && s !== "later") return 0;
    if (f.status === "skipped" && s !== "skipped") return 0;
    return setMatches(e[GROUPS]);
  }
  // The cards of [first, last) minutes: one step at one moment with one status, for
  // every group it reaches (three city groups' 10:00 post is one card "×3 群").
  function cards(first, last) {
    var found = [], byKey = {};
    for (var i = lowerBound(first); i < entries.length && entries[i][T] < last; i++) {
      var e = entries[i], n = messages(e);
      if (!n) continue;
      var key = e[T] + "|" + e[STEP] + "|" + e[STATUS];
      var card = byKey[key];
      if (!card) { card = byKey[key] = { t: e[T], items: [], messages: 0 }; found.push(card); }
      card.items.push(i);
      card.messages += n;
    }
    return found;
  }
  function total(list) { return list.reduce(function (n, c) { return n + c.messages; }, 0); }
  function fillSelect(id, items) {
    var select = $(id);
    items.forEach(function (item) { var o = el("option", null, item[1]); o.value = String(item[0]); select.appendChild(o); });
    select.addEventListener("change", function () {
      state.f[id.slice(2)] = select.value;
      setCache = {};
      closePanel();
      draw();
    });
  }

  // ---- quiet hours: shaded where every playbook shown is quiet ------------------------------
  function quietMinutes() {
    var books = D.playbooks.filter(function (pb, i) { return state.f.playbook === "" || String(i) === state.f.playbook; });
    if (!books.length || books.some(function (pb) { return !pb.quiet; })) return [];
    var runs = [], start = -1;
    for (var m = 0; m <= DAY; m++) {
      var quiet = m < DAY && books.every(function (pb) {
        var s = pb.quiet[0], e = pb.quiet[1];
        return s < e ? (m >= s && m < e) : (m >= s || m < e);
      });
      if (quiet) { if (start < 0) start = m; }
      else if (start >= 0) { runs.push([start, m]); start = -1; }
    }
    return runs;
  }

  // ---- what a card says ---------------------------------------------------------------------
  function cardTarget(card) {
    var first = entries[card.items[0]];
    if (card.items.length === 1 && groupsOf(first).length > 1 && state.f.group !== "") return groupName(+state.f.group);
    if (card.items.length === 1 && groupsOf(first).length === 1) return target(first);
    return "×" + card.messages + " 群";
  }
  function cardTitle(card) {
    var e = entries[card.items[0]], status = e[STATUS];
    return clock(e[T]) + " " + playbookOf(e).name + "/" + D.steps[e[STEP]].name + " · " + cardTarget(card) +
           (status !== "planned" ? " · " + STATUS_WORDS[status] : "");
  }
  function paint(node, e, light) {
    var pb = playbookOf(e);
    node.style.borderLeftColor = colour(pb);
    if (light) node.style.backgroundColor = colour(pb, true);
  }

  // ---- week grid --------------------------------------------------------------------------
  function lanes(list) {   // each card gets [lane, lanes in its cluster of overlapping cards]
    var cluster = [], ends = [], clusterEnd = -1;
    function close() { cluster.forEach(function (c) { c.of = ends.length; }); cluster = []; ends = []; }
    list.forEach(function (card) {
      if (card.t >= clusterEnd) close();
      var lane = ends.findIndex(function (end) { return end <= card.t; });
      if (lane < 0) { lane = ends.length; ends.push(0); }
      ends[lane] = card.t + BLOCK_MINUTES;
      clusterEnd = Math.max(clusterEnd, card.t + BLOCK_MINUTES);
      card.lane = lane;
      cluster.push(card);
    });
    close();
  }
  function block(card, top, left, width) {
    var e = entries[card.items[0]], status = e[STATUS];
    var b = el("button", "block " + status);
    b.type = "button";
    b.dataset.entry = String(card.items[0]);
    b.dataset.messages = String(card.messages);
    b.style.top = top + "px";
    b.style.left = left + "%";
    b.style.width = "calc(" + width + "% - 3px)";
    b.style.height = "calc(var(--hour) * " + (BLOCK_MINUTES / 60) + " - 2px)";
    paint(b, e, true);
    b.style.borderColor = colour(playbookOf(e));
    var first = el("span", "line"), second = el("span", "line");
    first.appendChild(el("span", "time", clock(e[T])));
    first.appendChild(el("span", "step", D.steps[e[STEP]].name));
    if (status !== "planned") second.appendChild(el("span", "tag " + status, STATUS_WORDS[status]));
    second.appendChild(document.createTextNode(cardTarget(card)));
    b.appendChild(first);
    b.appendChild(second);
    b.title = cardTitle(card);
    b.addEventListener("click", function () { showCard(card, b); });
    return b;
  }
  function drawWeek() {
    var root = $("week"), grid = el("div", "week-grid"), start = state.week;
    clear(root);
    grid.appendChild(el("div", "corner"));
    var windowFirst = dayOf(D.first), windowLast = dayOf(D.last);
    for (var d = 0; d < 7; d++) {
      var day = start + d, head = el("div", "day-head");
      if (day < windowFirst || day > windowLast) head.classList.add("outside");
      head.appendChild(el("div", "date", WEEKDAYS[d] + " " + shortDate(day)));
      if (holidays[day]) head.appendChild(el("div", "holiday-name", "节假日 · " + holidays[day]));
      grid.appendChild(head);
    }
    var hours = el("div", "hours");
    for (var h = 1; h < 24; h++) {
      var label = el("span", "hour-label", pad(h) + ":00");
      label.style.top = "calc(var(--hour) * " + h + ")";
      hours.appendChild(label);
    }
    grid.appendChild(hours);
    var quiet = quietMinutes(), hourPx = HOUR_PX, count = 0;
    for (d = 0; d < 7; d++) {
      day = start + d;
      var col = el("div", "day-col");
      col.dataset.day = dateOf(day);
      if (holidays[day]) col.classList.add("holiday");
      quiet.forEach(function (run) {
        var band = el("div", "quiet-band");
        band.style.top = (run[0] / 60 * hourPx) + "px";
        band.style.height = ((run[1] - run[0]) / 60 * hourPx) + "px";
        band.appendChild(el("span", null, "免打扰 " + clock(run[0]) + "–" + (run[1] === DAY ? "24:00" : clock(run[1]))));
        col.appendChild(band);
      });
      var list = cards(day * DAY, (day + 1) * DAY), overflow = {};
      count += total(list);
      lanes(list);
      list.forEach(function (card) {
        var top = (card.t - day * DAY) / 60 * hourPx;
        if (card.of > MAX_LANES && card.lane >= MAX_LANES - 1) {   // too many side by side: one "+N" button
          var key = Math.floor(card.t / BLOCK_MINUTES);
          (overflow[key] = overflow[key] || { top: top, cards: [] }).cards.push(card);
          return;
        }
        var width = 100 / Math.min(card.of, MAX_LANES);
        col.appendChild(block(card, top, card.lane * width, width));
      });
      Object.keys(overflow).forEach(function (key) {
        var o = overflow[key], more = el("button", "more", "+" + o.cards.length);
        more.type = "button";
        more.title = "还有 " + o.cards.length + " 个时段卡片";
        more.style.top = o.top + "px";
        more.style.left = (100 / MAX_LANES * (MAX_LANES - 1)) + "%";
        more.addEventListener("click", function () { showList("同一时段的其他消息", o.cards); });
        col.appendChild(more);
      });
      grid.appendChild(col);
    }
    if (!count) grid.appendChild(el("div", "empty", "这一周没有符合筛选的消息"));
    root.appendChild(grid);
    $("range").textContent = dateOf(start) + " 至 " + dateOf(start + 6);
    setCount("本周", count);
  }

  // ---- month view -------------------------------------------------------------------------
  function drawMonth() {
    var root = $("month"), grid = el("div", "month-grid");
    clear(root);
    var first = monthStart(state.month), next = monthStart(state.month + 1), count = 0;
    WEEKDAYS.forEach(function (w) { grid.appendChild(el("div", "month-head", w)); });
    for (var day = monday(first); day < next || weekday(day) !== 0; day++) {
      var cell = el("div", "month-cell");
      cell.dataset.day = dateOf(day);
      if (day < first || day >= next) cell.classList.add("outside");
      if (holidays[day]) cell.classList.add("holiday");
      cell.appendChild(el("span", "date", String(new Date(day * 86400000).getUTCDate())));
      if (holidays[day]) cell.appendChild(el("span", "holiday-name", holidays[day]));
      var list = cards(day * DAY, (day + 1) * DAY);
      if (day >= first && day < next) count += total(list);
      list.slice(0, MONTH_SHOWN).forEach(function (card) { cell.appendChild(monthEntry(card)); });
      if (list.length > MONTH_SHOWN) {
        var more = el("button", "month-more", "还有 " + (list.length - MONTH_SHOWN) + " 项，看这一周 ›");
        more.type = "button";
        more.addEventListener("click", (function (d) { return function () { state.week = monday(d); show("week"); }; })(day));
        cell.appendChild(more);
      }
      grid.appendChild(cell);
    }
    root.appendChild(grid);
    var d0 = new Date(first * 86400000);
    $("range").textContent = d0.getUTCFullYear() + "年" + (d0.getUTCMonth() + 1) + "月";
    setCount("本月", count);
  }
  function monthEntry(card) {
    var e = entries[card.items[0]], b = el("button", "month-entry " + e[STATUS]);
    b.type = "button";
    b.dataset.entry = String(card.items[0]);
    b.dataset.messages = String(card.messages);
    paint(b, e, true);
    if (e[STATUS] !== "planned") b.appendChild(el("span", "tag " + e[STATUS], STATUS_WORDS[e[STATUS]]));
    b.appendChild(el("span", "time", clock(e[T]) + " "));
    b.appendChild(el("span", "step", D.steps[e[STEP]].name));
    b.appendChild(el("span", null, " · " + cardTarget(card)));
    b.title = cardTitle(card);
    b.addEventListener("click", function () { showCard(card, b); });
    return b;
  }

  // ---- side panel: a card's messages, each with its group, reason and text ------------------
  function row(dl, term, value) {
    dl.appendChild(el("dt", null, term));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    dl.appendChild(dd);
    return dd;
  }
  function groupLabel(index) { var g = D.groups[index]; return g.name ? g.name + "（" + g.id + "）" : g.id; }
  function showCard(card, button) {
    document.querySelectorAll(".selected").forEach(function (b) { b.classList.remove("selected"); });
    if (button) button.classList.add("selected");
    var e = entries[card.items[0]], step = D.steps[e[STEP]], pb = playbookOf(e), body = $("panel-body");
    clear(body);
    var h = el("h2"), swatch = el("span", "swatch");
    swatch.style.backgroundColor = colour(pb);
    h.appendChild(swatch);
    h.appendChild(document.createTextNode(pb.name + " / " + step.name));
    body.appendChild(h);
    body.appendChild(el("span", "tag " + e[STATUS], STATUS_WORDS[e[STATUS]]));
    var dl = el("dl");
    row(dl, "时间", when(e[T]));
    if (e[SCHEDULED] !== null) row(dl, "原定时间", when(e[SCHEDULED]));
    row(dl, "剧本", pb.title ? pb.name + "（" + pb.title + "）" : pb.name);
    row(dl, "发送器", D.senders[e[SENDER]]);
    row(dl, "类型", KIND_WORDS[e[KIND]] || e[KIND]);
    if (e[MENTIONS].length) row(dl, "提醒", e[MENTIONS].map(function (m) { return "@" + m; }).join(" "));
    var source = el("span");
    source.appendChild(el("span", "source", step.source || "（未知）"));
    if (step.line) { source.appendChild(el("br")); source.appendChild(el("code", "source-line", step.line)); }
    row(dl, "来源", source);
    if (card.items.length > 1) row(dl, "群", "共 " + card.messages + " 个群");
    body.appendChild(dl);
    card.items.slice(0, PANEL_SHOWN).forEach(function (i) { body.appendChild(message(entries[i])); });
    if (card.items.length > PANEL_SHOWN) {
      var rest = el("ul", "group-list");
      card.items.slice(PANEL_SHOWN).forEach(function (i) { rest.appendChild(el("li", null, target(entries[i]))); });
      body.appendChild(el("p", "note", "还有 " + (card.items.length - PANEL_SHOWN) + " 个群（文字见上面同类）："));
      body.appendChild(rest);
    }
    $("panel").hidden = false;
  }
  function message(e) {   // one entry in the panel: where it goes, why it moved, its text
    var section = el("section", "message"), set = groupsOf(e), dl = el("dl");
    if (set.length === 1) {
      row(dl, "群", groupLabel(set[0]));
    } else {
      var ul = el("ul", "group-list");
      set.forEach(function (gi) { ul.appendChild(el("li", null, groupLabel(gi))); });
      row(dl, "群", "共 " + set.length + " 个群（同一时刻同一步骤，合并为一项）").appendChild(ul);
    }
    if (e[MEMBER] !== null) row(dl, "成员", e[MEMBER] + (e[PRIVATE] ? "（私聊，不发在群里）" : ""));
    e[REASONS].forEach(function (r) {
      var reason = D.reasons[r];
      row(dl, "原因", (REASON_WORDS[reason[1]] || reason[1]) + "：" + reason[0]);
    });
    section.appendChild(dl);
    if (set.length > 1 && !e[SAME]) section.appendChild(el("p", "note", "各群文字不同，下面是「" + groupName(set[0]) + "」的"));
    section.appendChild(el("pre", "text", D.texts[e[TEXT]]));
    return section;
  }
  function showList(title, list) {
    var body = $("panel-body");
    clear(body);
    body.appendChild(el("h2", null, title + "（" + list.length + " 项）"));
    list.forEach(function (card) {
      var b = el("button", "list-entry", cardTitle(card));
      b.type = "button";
      paint(b, entries[card.items[0]], false);
      b.addEventListener("click", function () { showCard(card, null); });
      body.appendChild(b);
    });
    $("panel").hidden = false;
  }
  function closePanel() {
    $("panel").hidden = true;
    document.querySelectorAll(".selected").forEach(function (b) { b.classList.remove("selected"); });
  }

  // ---- the page -----------------------------------------------------------------------------
  function setCount(what, n) {
    var c = $("count");
    c.textContent = what + " " + n + " 条";
    c.dataset.count = String(n);
  }
  function show(view) {
    state.view = view;
    $("view-week").classList.toggle("on", view === "week");
    $("view-month").classList.toggle("on", view === "month");
    $("week").hidden = view !== "week";
    $("month").hidden = view !== "month";
    $("prev").textContent = view === "week" ? "‹ 上一周" : "‹ 上个月";
    $("next").textContent = view === "week" ? "下一周 ›" : "下个月 ›";
    if (view === "month") state.month = monthIndex(state.week + 3);
    draw();
  }
  function draw() { if (state.view === "week") drawWeek(); else drawMonth(); }
  function move(step) {
    if (state.view === "week") state.week += 7 * step;
    else { state.month += step; state.week = monday(monthStart(state.month)); }
    draw();
  }
  function home() {
    state.week = monday(dayOf(D.first));
    state.month = monthIndex(dayOf(D.first));
    draw();
  }
  function header() {
    var counts = { planned: 0, deferred: 0, skipped: 0, later: 0 };
    entries.forEach(function (e) { counts[e[STATUS]] += D.groupSets[e[GROUPS]].length; });
    $("subtitle").textContent = D.first + " 至 " + D.last + " · 时区 " + D.zone + (D.made ? " · 生成于 " + D.made : "") +
      " · " + D.groups.length + " 个群";
    var totals = $("totals");
    [["planned", "计划发送"], ["deferred", "推迟"], ["later", "推迟到窗口后"], ["skipped", "已跳过"]].forEach(function (s) {
      if (s[0] === "later" && !counts.later) return;
      totals.appendChild(el("span", "totals-chip", s[1] + " " + counts[s[0]] + " 条"));
    });
    if (D.leftOut) {
      var warn = $("left-out");
      warn.hidden = false;
      warn.textContent = "计划太大：页面只收了前 " + entries.length + " 条，另有 " + D.leftOut +
                         " 条没有放进来。请缩短 --from/--to，或用 --group 只看一个群。";
    }
  }
  function legend() {
    var root = $("legend");
    root.appendChild(el("h3", null, "图例"));
    var ul = el("ul");
    D.playbooks.forEach(function (pb) {
      var li = el("li"), chip = el("span", "chip");
      chip.style.backgroundColor = colour(pb);
      li.appendChild(chip);
      var words = "剧本 " + pb.name + (pb.title ? "（" + pb.title + "）" : "");
      if (pb.quiet) words += " · 免打扰 " + clock(pb.quiet[0]) + "–" + clock(pb.quiet[1]) + (pb.quiet[2] === "skip" ? "（跳过）" : "（顺延）");
      if (pb.holidays) words += " · 节假日" + pb.holidays;
      li.appendChild(document.createTextNode(words));
      ul.appendChild(li);
    });
    root.appendChild(ul);
    var marks = el("ul"), q = el("li"), hd = el("li");
    q.appendChild(el("span", "chip quiet")); q.appendChild(document.createTextNode("免打扰时段"));
    hd.appendChild(el("span", "chip holiday")); hd.appendChild(document.createTextNode("法定节假日"));
    marks.appendChild(q); marks.appendChild(hd);
    marks.appendChild(el("li", null, "一张卡片：同一时刻的同一步骤，「×N 群」是发往的群数，点开看每个群的文字"));
    marks.appendChild(el("li", null, "斜纹、划线：已跳过（上限、群阶段、暂停、节假日等，点开看原因）"));
    marks.appendChild(el("li", null, "虚线框：推迟（免打扰或间隔顺延）"));
    root.appendChild(marks);
  }

  fillSelect("f-group", D.groups.map(function (g, i) { return [i, g.name ? g.name + "（" + g.id + "）" : g.id]; }));
  fillSelect("f-tag", D.tags.map(function (t, i) { return [i, t]; }));
  fillSelect("f-playbook", D.playbooks.map(function (pb, i) { return [i, pb.title ? pb.name + " " + pb.title : pb.name]; }));
  fillSelect("f-sender", D.senders.map(function (s, i) { return [i, s]; }));
  fillSelect("f-status", []);
  $("view-week").addEventListener("click", function () { show("week"); });
  $("view-month").addEventListener("click", function () { show("month"); });
  $("prev").addEventListener("click", function () { move(-1); });
  $("next").addEventListener("click", function () { move(1); });
  $("home").addEventListener("click", home);
  $("panel-close").addEventListener("click", closePanel);
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closePanel(); });
  header();
  legend();
  home();
})();
