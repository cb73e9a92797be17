// cspviz page: draws the server's Graphviz layout and restyles it from
// snapshots, live (server-sent events) or replayed (frames of a trace).
// Everything that comes from the network is inserted as text, never as HTML.
'use strict';

(function () {
  const STATES = [
    ['running', 'running'],
    ['blocked-read', 'blocked reading'],
    ['blocked-write', 'blocked writing'],
    ['alting', 'alting (choosing)'],
    ['sleeping', 'sleeping'],
    ['deadlocked', 'deadlocked (in the cycle)'],
    ['waiting', 'waiting for its children'],
    ['done', 'done'],
    ['poisoned', 'poisoned'],
    ['failed', 'failed'],
    ['absent', 'not started / unknown'],
  ];
  const KNOWN = new Set(STATES.map((s) => s[0]));

  const $ = (id) => document.getElementById(id);
  const view = {
    info: null,
    topo: null,
    d: null, // the drawing on show (see newDrawing)
    next: null, // the drawing being built out of sight to replace it
    snap: null,
    selected: null, // {kind: 'proc'|'chan', id}
    relayout: null, // pending promise
    triedUnknown: '',
    ended: false,
    cam: null, // the viewBox shown: {x, y, w, h}
    extent: null, // the drawing's own viewBox
    moved: false, // zoomed or panned by the person: keep the view on relayout
    dragged: false,
    layoutAt: 0,
  };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': ' + r.status + ' ' + (await r.text()).trim());
    return r.json();
  }

  function showBanner(text, cls) {
    const b = $('banner');
    b.textContent = text;
    b.className = 'banner' + (cls ? ' ' + cls : '');
    b.hidden = !text;
  }

  function setStatus(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status' + (cls ? ' ' + cls : '');
  }

  function drawLegend() {
    const ul = $('legend');
    for (const [state, label] of STATES) {
      const sw = el('span', { class: 'swatch ' + state, style: 'background: var(--' + state + ')' });
      ul.append(el('li', { 'data-state': state }, sw, label));
    }
  }

  // ---- layout -------------------------------------------------------------

  // A drawing is one layout on the page: its SVG and, by SVG id, the elements
  // a snapshot restyles and their text lines, held in maps so that applying a
  // snapshot never searches the document.
  function newDrawing(layout, topo, svg) {
    const d = {
      layout, topo, svg,
      procs: Object.entries(layout.procs),
      chans: Object.entries(layout.chans),
      owner: new Map(), // SVG id to what it draws: {kind: 'proc'|'chan', id}
      els: new Map(), // SVG id to its element, once on the page
      last: new Map(), // SVG id to its last text line: the live one
      marked: new Map(), // SVG id to the deadlock classes it has
      selected: [],
    };
    for (const [id, sid] of d.procs) d.owner.set(sid, { kind: 'proc', id });
    for (const [id, sids] of d.chans) for (const sid of sids) d.owner.set(sid, { kind: 'chan', id });
    d.labels = new Set(Object.values(layout.chanLabels || {}));
    d.procSids = new Set(Object.values(layout.procs));
    return d;
  }

  // take readies the part of a drawing under root, before it is on the page
  // (where each change would cost the browser a new style and layout): it
  // records its elements, blanks the sample text the layout reserved room
  // with, centres Graphviz's state lines and drops Graphviz's tooltips.
  function take(d, root, landed) {
    for (const e of root.querySelectorAll('[id]')) {
      const sid = e.id;
      if (!d.owner.has(sid) && !d.labels.has(sid)) continue;
      d.els.set(sid, e);
      if (landed) landed.add(sid);
      const texts = e.querySelectorAll('text');
      if (!texts.length) continue;
      const first = texts[0], last = texts[texts.length - 1];
      d.last.set(sid, last);
      // Until a snapshot says otherwise the live lines show nothing, never the sample.
      if (d.procSids.has(sid) || (d.labels.has(sid) && last !== first)) last.textContent = '';
      // Graphviz left-aligns the lines of an HTML label at the start of the
      // widest placeholder; the state line goes in the middle of the box (the
      // built-in layout centres its lines already).
      const shape = d.procSids.has(sid) && e.querySelector('path, polygon');
      if (shape && last.getAttribute('text-anchor') !== 'middle') {
        const x = centreX(shape);
        if (x !== null) {
          last.setAttribute('x', String(x));
          last.setAttribute('text-anchor', 'middle');
        }
      }
    }
    // Graphviz's own <title>s would show internal node names on hover.
    root.querySelectorAll('g.node > title, g.edge > title, g.cluster > title').forEach((t) => t.remove());
  }

  // centreX is the middle of a Graphviz box from its outline's coordinates
  // (absolute x,y pairs, the corners' control points inside the box), without
  // asking the browser to lay it out.
  function centreX(shape) {
    const nums = (shape.getAttribute(shape.tagName === 'polygon' ? 'points' : 'd') || '').match(/-?\d*\.?\d+(?:e-?\d+)?/gi) || [];
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i + 1 < nums.length; i += 2) {
      const x = Number(nums[i]);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    return lo <= hi ? (lo + hi) / 2 : null;
  }

  function parseSVG(text) {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const err = doc.querySelector('parsererror');
    if (err) throw new Error('the layout is not valid SVG: ' + err.textContent);
    return doc.documentElement;
  }

  // A part of a drawing (see /layout) parses as the content of a group.
  const PART_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><g>';
  const PART_CLOSE = '</g></svg>';

  // nextFrame resolves when the browser starts its next frame: what is added
  // then is styled, laid out and drawn in that frame, and no more. A page in
  // the background gets no frames; a timer stands in for them.
  function nextFrame() {
    return new Promise((res) => {
      let done = false;
      const go = () => { if (!done) { done = true; res(); } };
      requestAnimationFrame(go);
      setTimeout(go, 200);
    });
  }

  // frameBudget is how long the page parses and adds parts in one frame,
  // leaving the browser the rest of a long task's 50 ms to style, lay out and
  // draw them; a drawing built out of sight is not drawn, and takes more.
  const frameBudget = 4, unseenBudget = 10;

  // loadLayout fetches the layout and puts it on the page a few parts per
  // frame: a drawing of 500 processes is thousands of elements, which the
  // browser would otherwise parse, style, lay out and draw in one long task.
  // The first drawing grows on screen, each part showing its processes'
  // states as it lands; a new layout of a network already on show (it grew)
  // is built out of sight and replaces the old one once complete.
  async function loadLayout() {
    const [topo, layout] = await Promise.all([getJSON('topology'), getJSON('layout')]);
    const svg = document.importNode(parseSVG(layout.svg), true);
    // The drawing fills the pane; zoom and pan move its viewBox.
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const vb = svg.viewBox.baseVal;
    const extent = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    const d = newDrawing(layout, topo, svg);
    take(d, svg); // the frame itself, or the whole drawing when it came in one piece
    const graph = $('graph');
    const shown = view.d;
    if (!shown) {
      // The pane is measured before the drawing goes in: measuring after
      // would make the browser lay out the drawing there and then.
      view.rect = null;
      paneRect();
      view.extent = extent;
      view.d = d;
      view.topo = topo;
      graph.replaceChildren(svg);
      view.shown = null;
      fit();
    } else {
      svg.classList.add('building');
      const c = view.moved && view.cam ? view.cam : fitCam(extent);
      if (c) svg.setAttribute('viewBox', c.x + ' ' + c.y + ' ' + c.w + ' ' + c.h);
      view.next = d;
      graph.append(svg);
    }
    view.layoutAt = Date.now();
    const group = svg.querySelector('g');
    const parts = layout.parts || [];
    // The drawing keeps its layout's maps for as long as it is on show; the
    // SVG text (a megabyte or two at 500 processes) is in the page once
    // parsed, and would otherwise be kept twice until the next layout.
    delete layout.svg;
    delete layout.parts;
    try {
      if (view.snap) paint(d, view.snap);
      for (let i = 0; i < parts.length && group;) {
        await nextFrame();
        if (view.next !== d && view.d !== d) { // replaced meanwhile
          d.svg.remove();
          return;
        }
        const t0 = performance.now();
        const landed = new Set();
        do {
          const g = parseSVG(PART_OPEN + parts[i++] + PART_CLOSE).firstElementChild;
          take(d, g, landed);
          group.append(...g.childNodes);
        } while (i < parts.length && performance.now() - t0 < (shown ? unseenBudget : frameBudget));
        if (view.snap) paint(d, view.snap, landed);
      }
      if (view.snap) paint(d, view.snap);
    } catch (e) {
      if (shown) svg.remove();
      if (view.next === d) view.next = null;
      throw e;
    }
    if (shown) {
      // The new drawing is complete and shows the latest snapshot: swap.
      view.next = null;
      const hadView = view.cam && view.moved;
      shown.svg.remove();
      svg.classList.remove('building');
      view.extent = extent;
      view.d = d;
      view.topo = topo;
      view.shown = null; // the new SVG has its own viewBox: no transform from the old
      if (hadView) setCam(view.cam); // the person placed the view: keep it
      else fit();
      if (view.selected) select(view.selected.kind, view.selected.id);
    }
    // Every part has landed and shows: tests and screenshots wait for this, not a first process.
    svg.classList.add('drawn');
    view.layoutAt = Date.now();
  }

  // ---- fit, zoom and pan --------------------------------------------------

  function svgEl() { return view.d ? view.d.svg : null; }

  // paneRect is where the drawing is on the screen, measured once per size:
  // measuring in every pointer or wheel event would force the browser to lay
  // out the whole SVG each time.
  function paneRect() {
    if (!view.rect) {
      const graph = $('graph');
      const r = graph.getBoundingClientRect();
      view.rect = { left: r.left + graph.clientLeft, top: r.top + graph.clientTop, width: graph.clientWidth, height: graph.clientHeight };
    }
    return view.rect;
  }

  // setCam shows the part c of the drawing. Changing the SVG's viewBox makes
  // the browser lay out and paint all of it again, hundreds of milliseconds
  // for 500 processes; so while the person drags or wheels (gesture), the view
  // moves by a CSS transform of what is already drawn, which the compositor
  // does alone, and the viewBox follows once the gesture pauses.
  function setCam(c, gesture) {
    view.cam = c;
    const svg = svgEl();
    if (!svg) return;
    clearTimeout(view.commitTimer);
    const from = view.shown;
    const r = paneRect();
    if (gesture && from && r && r.width > 0 && r.height > 0) {
      // meet: one scale for both axes, the drawing centred on the other.
      const s0 = Math.min(r.width / from.w, r.height / from.h), s1 = Math.min(r.width / c.w, r.height / c.h);
      const ox0 = (r.width - from.w * s0) / 2 - from.x * s0, oy0 = (r.height - from.h * s0) / 2 - from.y * s0;
      const ox1 = (r.width - c.w * s1) / 2 - c.x * s1, oy1 = (r.height - c.h * s1) / 2 - c.y * s1;
      const k = s1 / s0;
      svg.style.transform = 'translate(' + (ox1 - k * ox0) + 'px,' + (oy1 - k * oy0) + 'px) scale(' + k + ')';
      // A drawing moved at its own scale is as sharp as it was: it keeps
      // the transform. One zoomed is redrawn at its new scale once the
      // gesture pauses.
      if (Math.abs(k - 1) > 1e-9) view.commitTimer = setTimeout(commitCam, 300);
      return;
    }
    commitCam();
  }

  function commitCam() {
    const svg = svgEl(), c = view.cam;
    if (!svg || !c) return;
    svg.setAttribute('viewBox', c.x + ' ' + c.y + ' ' + c.w + ' ' + c.h);
    svg.style.transform = '';
    view.shown = { ...c };
  }

  // fit shows the whole network, enlarged at most to 1.3 times its natural
  // size so that a small network does not fill the screen with huge text.
  function fit() {
    const c = svgEl() && fitCam(view.extent);
    if (!c) return;
    setCam(c);
    view.moved = false;
  }

  // fitCam is the view that shows all of a drawing of the given extent.
  function fitCam(ext) {
    const r = paneRect();
    if (!(ext && r && r.width > 0 && r.height > 0 && ext.w > 0 && ext.h > 0)) return null;
    const px = 4 / 3; // Graphviz's units are points
    const scale = Math.min(r.width / ext.w, r.height / ext.h, 1.3 * px);
    const w = r.width / scale, h = r.height / scale;
    return { x: ext.x - (w - ext.w) / 2, y: ext.y - (h - ext.h) / 2, w, h };
  }

  // zoomAt scales the view by f around the client point (cx, cy).
  function zoomAt(f, cx, cy, gesture) {
    const svg = svgEl();
    if (!svg || !view.cam) return;
    const r = paneRect();
    const c = view.cam;
    if (!(r && r.width > 0 && r.height > 0)) return;
    // meet: one scale for both axes, the drawing centred on the other.
    const scale = Math.min(r.width / c.w, r.height / c.h);
    const ox = (r.width - c.w * scale) / 2, oy = (r.height - c.h * scale) / 2;
    const px = c.x + (cx - r.left - ox) / scale, py = c.y + (cy - r.top - oy) / scale;
    const w = Math.max(20, Math.min(c.w * f, view.extent.w * 20 + 2000));
    const g = w / c.w;
    setCam({ x: px - (px - c.x) * g, y: py - (py - c.y) * g, w, h: c.h * g }, gesture);
    view.moved = true;
  }

  function zoomCentre(f) {
    const r = paneRect();
    if (!r) return;
    zoomAt(f, r.left + r.width / 2, r.top + r.height / 2);
  }

  function setupNavigation() {
    const graph = $('graph');
    graph.addEventListener('wheel', (e) => {
      e.preventDefault();
      zoomAt(Math.exp(e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX, e.clientY, true);
    }, { passive: false });
    // One listener for every process and channel: the drawing's element
    // that was clicked, or the nearest one around it that stands for one.
    graph.addEventListener('click', (e) => {
      if (view.dragged || !view.d) return;
      for (let n = e.target; n && n !== graph; n = n.parentNode) {
        const o = n.id && view.d.owner.get(n.id);
        if (o) {
          select(o.kind, o.id);
          return;
        }
      }
    });
    let drag = null;
    graph.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || !view.cam) return;
      drag = { x: e.clientX, y: e.clientY, cam: { ...view.cam } };
      view.dragged = false;
    });
    window.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!view.dragged && Math.hypot(dx, dy) < 4) return;
      if (!view.dragged) graph.classList.add('dragging');
      view.dragged = true;
      const r = paneRect();
      const scale = Math.min(r.width / drag.cam.w, r.height / drag.cam.h);
      setCam({ ...drag.cam, x: drag.cam.x - dx / scale, y: drag.cam.y - dy / scale }, true);
      view.moved = true;
    });
    window.addEventListener('pointerup', () => {
      drag = null;
      graph.classList.remove('dragging');
      // A click follows pointerup; let it see that this was a drag.
      setTimeout(() => { view.dragged = false; }, 0);
    });
    window.addEventListener('keydown', (e) => {
      if (e.target && /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) return;
      if (e.key === 'f' || e.key === '0') fit();
      else if (e.key === '+' || e.key === '=') zoomCentre(1 / 1.25);
      else if (e.key === '-') zoomCentre(1.25);
    });
    $('fit').addEventListener('click', fit);
    $('zoom-in').addEventListener('click', () => zoomCentre(1 / 1.25));
    $('zoom-out').addEventListener('click', () => zoomCentre(1.25));
    // The pane is what the window leaves below the header and the banner
    // (see style.css); whenever it changes size (a banner comes or goes, the
    // window is resized) the view fits again, unless the person moved it.
    new ResizeObserver(() => {
      view.rect = null;
      if (!view.moved) fit();
      else if (view.cam) setCam(view.cam);
    }).observe(graph);
  }

  // relayout fetches a new layout when snapshots show processes or channels
  // the current one lacks; the server has learnt them from the same snapshots.
  // A growing network (the sieve) is laid out again at most every 2 seconds.
  function relayoutFor(unknown) {
    const key = unknown.join('\u0000');
    if (view.relayout || key === view.triedUnknown) return;
    const wait = Math.max(0, (view.layoutAt || 0) + 2000 - Date.now());
    view.relayout = new Promise((res) => setTimeout(res, wait))
      .then(() => { view.triedUnknown = key; return loadLayout(); })
      .catch((e) => showBanner('Could not lay out the new processes: ' + e.message))
      .finally(() => {
        view.relayout = null;
        if (view.snap) apply(view.snap);
      });
  }

  // ---- applying a snapshot -----------------------------------------------

  // setClass gives e the one class that starts with prefix, prefix + value
  // (none for no value), changing nothing that is right already: each change
  // costs the browser a new style for the element and what is inside it.
  function setClass(e, prefix, value) {
    const want = value ? prefix + value : '';
    for (const c of [...e.classList]) if (c.startsWith(prefix) && c !== want) e.classList.remove(c);
    if (want && !e.classList.contains(want)) e.classList.add(want);
  }

  // setText sets a text line, unless it says that already: a new text is laid out again.
  function setText(t, text) {
    if (t && t.textContent !== text) t.textContent = text;
  }

  // One formatter for all counts: toLocaleString makes a new one each call,
  // which costs milliseconds over a thousand channels.
  const COUNT = new Intl.NumberFormat('en-US');

  function fmtCount(n) {
    return COUNT.format(Number(n || 0));
  }

  function chanText(c) {
    let s = fmtCount(c.messages) + (c.messages === 1 ? ' msg' : ' msgs');
    if (c.buffer > 0) s += ' · ' + c.len + '/' + c.buffer;
    // Poisoning shows as a dashed line (see the legend); more text here
    // would outgrow the space the layout left for the label.
    return s;
  }

  // cycleMembers lists the processes of a deadlock's cycles.
  function cycleMembers(dl) {
    const ids = new Set();
    for (const cycle of (dl && dl.cycles) || []) for (const step of cycle) ids.add(step.process);
    return ids;
  }

  // shownState is how a process's state reads on the page. A process in a
  // timed wait (a selection with a Timeout guard, an operation under a context
  // with a deadline) reads as what it does, with its deadline; older
  // snapshots reported it as "sleeping" with what it waits on, which says the
  // same. The processes of a deadlock's cycle stay marked deadlocked after the
  // monitor has poisoned them to end the network.
  function shownState(p, inCycle) {
    if (!p) return { cls: 'absent', text: 'not started' };
    if (inCycle.has(p.id)) return { cls: 'deadlocked', text: 'deadlocked' };
    const waits = p.waits || [];
    if (p.deadline && (p.state === 'alting' || p.state === 'blocked-read' || p.state === 'blocked-write')) {
      return { cls: p.state, text: p.state + ' · timeout' };
    }
    if (p.state === 'sleeping' && waits.length > 1) return { cls: 'alting', text: 'alting · timeout' };
    if (p.state === 'sleeping' && waits.length === 1) {
      const cls = waits[0].op === 'write' ? 'blocked-write' : 'blocked-read';
      return { cls, text: cls + ' · timeout' };
    }
    return { cls: KNOWN.has(p.state) ? p.state : 'running', text: p.state };
  }

  // apply shows a snapshot on the drawing on show, and asks for a new layout
  // when it has processes or channels the newest layout lacks.
  function apply(snap) {
    view.snap = snap;
    const d = view.d;
    if (!d) return;
    const s = derive(snap);
    const newest = view.next || d;
    const unknown = [];
    for (const id of s.procs.keys()) if (!(id in newest.layout.procs)) unknown.push('p:' + id);
    for (const id of s.chans.keys()) if (!(id in newest.layout.chans)) unknown.push('c:' + id);
    if (unknown.length) relayoutFor(unknown);
    // A drawing being built out of sight is painted part by part as it
    // lands, and whole once complete: a snapshot that changes hundreds of
    // counts would otherwise cost two layouts of them, one unseen.
    paint(d, snap);
    showDetails();
  }

  // derive is what a snapshot says, by id, worked out once for all drawings
  // and parts it is painted on.
  function derive(snap) {
    if (view.derived && view.derived.snap === snap) return view.derived;
    const procs = new Map((snap.processes || []).map((p) => [p.id, p]));
    const chans = new Map((snap.channels || []).map((c) => [c.id, c]));
    // A link is lost when the snapshot says so while the network runs and
    // the processes here still use the channel: a round that ends closes its
    // nodes, and a peer that retires closes its link, and neither is a loss.
    // A loss seen while it mattered stays marked after the network ends.
    const running = snap.running !== false;
    const ended = new Set(['done', 'poisoned', 'failed']);
    const users = new Map(); // channel id to whether a process holding it still runs
    const topo = (view.next || view.d || {}).topo;
    for (const e of (topo && topo.ends) || []) {
      const p = procs.get(e.process);
      if (p && !ended.has(p.state)) users.set(e.channel, true);
    }
    view.lost = view.lost || new Set();
    for (const [id, c] of chans) {
      if (c.link === 'lost' && running && !retired(c) && users.get(id)) view.lost.add(id);
    }
    view.derived = { snap, procs, chans, running, inCycle: cycleMembers(snap.deadlock) };
    return view.derived;
  }

  // paint shows a snapshot on drawing d, as far as it is on the page, or on
  // its elements in only (a set of SVG ids); it changes only what differs
  // from what d shows.
  function paint(d, snap, only) {
    const s = derive(snap);
    for (const [id, sid] of d.procs) {
      const e = d.els.get(sid);
      if (!e || (only && !only.has(sid))) continue;
      const shown = shownState(s.procs.get(id), s.inCycle);
      setClass(e, 'state-', shown.cls);
      setText(d.last.get(sid), shown.text);
    }
    // One drawing may stand for two channels (a remote channel and the one it
    // reaches on its node): its classes are the union of theirs.
    const flags = new Map();
    for (const [id, sids] of d.chans) {
      const c = s.chans.get(id);
      const lsid = d.layout.chanLabels[id];
      const label = d.last.get(lsid);
      if (label && !(only && !only.has(lsid))) setText(label, c ? chanText(c) : '–');
      for (const sid of sids) {
        const f = flags.get(sid) || { poisoned: false, lost: false, retired: false };
        f.poisoned = f.poisoned || !!(c && c.poisoned);
        f.lost = f.lost || view.lost.has(id);
        f.retired = f.retired || !!(c && retired(c));
        flags.set(sid, f);
      }
    }
    for (const [sid, f] of flags) {
      const e = d.els.get(sid);
      if (!e || (only && !only.has(sid))) continue;
      e.classList.toggle('poisoned', f.poisoned);
      e.classList.toggle('link-lost', f.lost);
      e.classList.toggle('retired', f.retired && !f.poisoned && !f.lost);
    }
    // An ended network is drawn greyed: nothing on it moves any more.
    d.svg.classList.toggle('ended', !s.running && !repeats() && !notStarted(snap));
    highlightDeadlock(d, snap.deadlock);
  }

  // retired says that one side of the channel has left for good: every
  // writer or every reader retired.
  function retired(c) {
    return (c.writers > 0 && c.writersRetired >= c.writers) || (c.readers > 0 && c.readersRetired >= c.readers);
  }

  function deadlockText(dl) {
    // graphs' messages start with "deadlock:" already; do not say it twice.
    const msg = (dl.message || '').replace(/^deadlock:\s*/i, '');
    return 'Deadlock: ' + (msg || 'the processes in red wait for each other in a cycle');
  }

  // highlightDeadlock marks a deadlock's cycle and the processes waiting on
  // it on drawing d, and unmarks what no longer is.
  function highlightDeadlock(d, dl) {
    const want = new Map(); // SVG id to its classes
    const mark = (step, cls) => {
      const sids = [d.layout.procs[step.process], ...(d.layout.chans[step.channel] || [])];
      for (const sid of sids) {
        if (!sid) continue;
        if (!want.has(sid)) want.set(sid, new Set());
        want.get(sid).add(cls);
      }
    };
    for (const cycle of (dl && dl.cycles) || []) for (const step of cycle) mark(step, 'deadlock');
    for (const step of (dl && dl.waiting) || []) mark(step, 'deadlock-waiting');
    for (const [sid, classes] of d.marked) {
      const e = d.els.get(sid);
      if (e) for (const c of classes) if (!(want.get(sid) || new Set()).has(c)) e.classList.remove(c);
    }
    for (const [sid, classes] of want) {
      const e = d.els.get(sid);
      if (e) for (const c of classes) e.classList.add(c);
    }
    d.marked = want;
  }

  // ---- details ------------------------------------------------------------

  function select(kind, id) {
    const d = view.d;
    if (!d) return;
    for (const e of d.selected) e.classList.remove('selected');
    view.selected = { kind, id };
    const sids = kind === 'proc' ? [d.layout.procs[id]] : d.layout.chans[id] || [];
    d.selected = sids.map((sid) => d.els.get(sid)).filter((e) => e);
    for (const e of d.selected) e.classList.add('selected');
    showDetails();
  }

  function nameOf(kind, id) {
    const list = kind === 'proc' ? view.topo.processes : view.topo.channels;
    const x = (list || []).find((v) => v.id === id);
    return x && x.name ? x.name : id;
  }

  function showDetails() {
    const sec = $('details');
    if (!view.selected || !view.topo) return;
    const { kind, id } = view.selected;
    const rows = [];
    const add = (k, v) => {
      if (v === undefined || v === null || v === '') return;
      rows.push(el('dt', {}, k), el('dd', {}, String(v)));
    };
    const ends = (view.topo.ends || []);
    let title;
    if (kind === 'proc') {
      const p = (view.topo.processes || []).find((v) => v.id === id) || { id };
      const s = ((view.snap && view.snap.processes) || []).find((v) => v.id === id);
      title = 'Process ' + (p.name || id);
      add('id', id);
      add('kind', p.kind);
      const shown = shownState(s, cycleMembers(view.snap && view.snap.deadlock));
      add('state', shown.text);
      if (s && shown.text !== s.state) add('monitor says', s.state);
      if (s && s.waits && s.waits.length)
        add('waits', s.waits.map((w) => w.op + ' ' + nameOf('chan', w.channel)).join(', '));
      if (s) add('error', s.error);
      for (const [k, v] of Object.entries(p.attrs || {})) add(k, typeof v === 'string' ? v : JSON.stringify(v));
      add('writes', ends.filter((e) => e.process === id && e.dir === 'write').map((e) => nameOf('chan', e.channel)).join(', '));
      add('reads', ends.filter((e) => e.process === id && e.dir === 'read').map((e) => nameOf('chan', e.channel)).join(', '));
    } else {
      const c = (view.topo.channels || []).find((v) => v.id === id) || { id };
      const s = ((view.snap && view.snap.channels) || []).find((v) => v.id === id);
      title = 'Channel ' + (c.name || id);
      add('id', id);
      add('type', c.type);
      add('buffer', c.buffer ? c.buffer : 'none (rendezvous)');
      if (s) {
        add('messages', fmtCount(s.messages));
        if (s.buffer > 0) add('in buffer', s.len + ' of ' + s.buffer);
        add('readers', s.readers + (s.readersRetired ? ' (' + s.readersRetired + ' retired)' : ''));
        add('writers', s.writers + (s.writersRetired ? ' (' + s.writersRetired + ' retired)' : ''));
        add('poisoned', s.poisoned ? 'yes' : 'no');
        if (s.link) add('link', s.link);
      }
      if (c.remote) add('lives on node', c.remote);
      add('written by', ends.filter((e) => e.channel === id && e.dir === 'write').map((e) => nameOf('proc', e.process)).join(', '));
      add('read by', ends.filter((e) => e.channel === id && e.dir === 'read').map((e) => nameOf('proc', e.process)).join(', '));
    }
    sec.replaceChildren(el('h2', {}, 'Details'), el('h3', {}, title), el('dl', {}, ...rows));
  }

  // ---- live ---------------------------------------------------------------

  function lastSeen() {
    if (!view.snap) return 'no snapshot was received';
    const at = view.snap.time ? new Date(view.snap.time).toLocaleTimeString() : '';
    return 'showing its last snapshot (' + view.snap.seq + (at ? ', taken ' + at : '') + ')';
  }

  function startLive() {
    const es = new EventSource('events');
    view.es = es;
    es.addEventListener('snapshot', (e) => {
      let snap;
      try {
        snap = JSON.parse(e.data);
      } catch (err) {
        showBanner('The network sent a snapshot that is not JSON: ' + err.message);
        return;
      }
      view.gone = false;
      apply(snap);
      if (snap.deadlock) showBanner(deadlockText(snap.deadlock), 'deadlock');
      else if ($('banner').classList.contains('lost')) showBanner('');
      if (!view.ended) {
        const stopped = snap.running === false;
        if (notStarted(snap)) setStatus('not started yet · snapshot ' + snap.seq, 'live');
        else if (stopped && repeats()) setStatus(roundDone(), 'live');
        else setStatus((stopped ? 'stopped' : 'live') + ' · snapshot ' + snap.seq, stopped ? 'ended' : 'live');
      }
    });
    es.addEventListener('end', () => {
      view.ended = true;
      es.close();
      if (repeats()) {
        // Not the end: the next round follows at once; reload for it.
        setStatus(roundDone(), 'live');
        setInterval(pollRun, 200);
        return;
      }
      setStatus('the network has ended · ' + lastSeen(), 'ended');
      if (!(view.snap && view.snap.deadlock)) showBanner('The network has ended; ' + lastSeen() + '.', 'gone');
    });
    es.addEventListener('problem', (e) => {
      let msg = e.data;
      try { msg = JSON.parse(e.data).message; } catch (_) { /* show it raw */ }
      // The page keeps the last real snapshot; it says the network is gone
      // rather than pretend the values are current.
      view.gone = true;
      setStatus('network gone · ' + lastSeen(), 'lost');
      showBanner('Cannot read the network: ' + msg + '. ' + (view.snap ? 'Showing its last snapshot (' + view.snap.seq + '); ' : '') + 'retrying.', 'lost');
    });
    es.onerror = () => {
      if (view.ended) return;
      setStatus('connection to cspviz lost · ' + lastSeen() + ' · retrying…', 'lost');
      // The browser retries a broken stream by itself, but gives up for good
      // when the answer is an error; keep trying, as cspviz may come back.
      if (es.readyState === EventSource.CLOSED) {
        showBanner('Cannot reach cspviz; ' + lastSeen() + '; retrying every 3 seconds.', 'lost');
        setTimeout(startLive, 3000);
      }
    };
  }

  // notStarted says that the snapshot is of a network whose Run has not
  // begun: not running, and no process yet.
  function notStarted(snap) {
    return snap.running === false && !(snap.processes || []).length;
  }

  // repeats says that the network is one round of a demo that runs again.
  function repeats() {
    return !!(view.info && view.info.run && view.info.run.repeats);
  }

  function roundDone() {
    return 'round ' + view.info.run.round + ' done · the next round starts';
  }

  // showRun shows what the demo runner says the last round computed, and
  // which round that was.
  function showRun(run) {
    const r = $('result');
    r.hidden = !(run && run.result);
    r.textContent = run && run.result ? (run.resultRound ? 'round ' + run.resultRound + ': ' : '') + run.result : '';
  }

  // pollRun follows a repeating demo: a new round is a new network, so the
  // page starts afresh; otherwise it shows the latest result.
  async function pollRun() {
    try {
      const info = await getJSON('info');
      if (info.run && view.info.run && info.run.round !== view.info.run.round) {
        location.reload();
        return;
      }
      showRun(info.run);
    } catch (_) {
      // The stream's handlers say when cspviz cannot be reached.
    }
  }

  // ---- replay -------------------------------------------------------------

  function startReplay() {
    const info = view.info;
    const last = info.frames - 1;
    const r = { pos: 0, playing: false, timer: null, loading: false, want: 0 };
    $('controls').hidden = false;
    const scrub = $('scrub');
    scrub.max = String(last);

    async function show(i) {
      r.want = Math.max(0, Math.min(last, i));
      if (r.loading) return; // the newest wish is fetched when this one lands
      r.loading = true;
      try {
        while (r.pos !== r.want || !view.snap) {
          const i = r.want;
          const snap = await getJSON('frame?i=' + i);
          r.pos = i;
          apply(snap);
          if (snap.deadlock) showBanner(deadlockText(snap.deadlock), 'deadlock');
          else showBanner('');
        }
      } catch (e) {
        showBanner('Could not load event ' + r.want + ': ' + e.message);
        pause();
      } finally {
        r.loading = false;
      }
      scrub.value = String(r.pos);
      $('position').textContent = 'event ' + r.pos + ' of ' + last + ' · ' + info.labels[r.pos];
      setStatus(r.pos === last ? 'end of trace' : r.playing ? 'playing' : 'paused', r.playing ? 'live' : 'ended');
    }

    function pause() {
      r.playing = false;
      clearInterval(r.timer);
      r.timer = null;
      $('play').textContent = '▶︎ play';
      show(r.pos);
    }

    function play() {
      if (r.pos >= last) r.pos = r.want = 0;
      r.playing = true;
      $('play').textContent = '⏸ pause';
      const speed = Number($('speed').value);
      // Fast speeds skip frames rather than fetch faster than the page draws.
      const tick = Math.max(1000 / speed, 50);
      const stride = Math.max(1, Math.round(speed * tick / 1000));
      clearInterval(r.timer);
      r.timer = setInterval(() => {
        if (r.loading) return;
        if (r.pos >= last) { pause(); return; }
        show(r.pos + stride);
      }, tick);
    }

    $('play').addEventListener('click', () => (r.playing ? pause() : play()));
    $('step').addEventListener('click', () => { if (r.playing) pause(); show(r.pos + 1); });
    $('back').addEventListener('click', () => { if (r.playing) pause(); show(r.pos - 1); });
    $('restart').addEventListener('click', () => { if (r.playing) pause(); show(0); });
    $('speed').addEventListener('change', () => { if (r.playing) play(); });
    scrub.addEventListener('input', () => { if (r.playing) pause(); show(Number(scrub.value)); });
    show(0);
  }

  // ---- start --------------------------------------------------------------

  async function main() {
    drawLegend();
    setupNavigation();
    try {
      view.info = await getJSON('info');
      $('title').textContent = view.info.name || '';
      document.title = 'cspviz · ' + (view.info.name || view.info.mode);
      // Snapshots are followed while the drawing is built, so that each
      // part shows its processes' states as it lands.
      if (view.info.mode !== 'replay') startLive();
      await loadLayout();
    } catch (e) {
      if (view.es) view.es.close();
      showBanner('Could not load the network: ' + e.message);
      setStatus('error', 'lost');
      return;
    }
    if (view.snap) apply(view.snap);
    if (view.info.mode === 'replay') startReplay();
    else {
      showRun(view.info.run);
      if (view.info.run) setInterval(pollRun, 2000);
    }
  }

  main();
})();
