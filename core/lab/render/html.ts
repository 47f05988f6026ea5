// One self-contained HTML page of an execution, for people who would rather look than read: a
// lane per CPU (task, hardirq, NMI and, under TSO, the store buffer), time going down, each line
// of the text trace a box labelled with its kernel step, arrows for IPIs and store-buffer
// commits, the violating access in red and the lines that lead to it marked (with arrows for the
// cross-CPU reads among them). Lines that lead nowhere can be folded. No network: the data, the
// style and the script are in the page.
import { LANE_NAMES, violationTitle, violationWhere, type TraceView } from './view.ts';

export function pageData(v: TraceView) {
  const { rec } = v;
  return {
    scenario: rec.scenario, config: rec.config, schedule: rec.schedule, replay: rec.replay, ncpus: rec.ncpus, tso: rec.tso,
    laneNames: LANE_NAMES,
    used: v.used,
    violation: v.violation ? { title: violationTitle(v.violation.v), where: violationWhere(v.violation.v), slice: v.violation.slice } : null,
    focus: v.focus,
    slices: v.slices.map((s) => ({ id: s.id, line: s.line, cpu: s.cpu, lane: s.lane, step: s.step, who: s.who, texts: s.texts, marks: s.marks, marked: s.marked, violation: s.violation })),
    flows: v.flows.map((f) => ({ kind: f.kind, from: f.from, to: f.to, label: f.label })),
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function toHtml(v: TraceView): string {
  const d = pageData(v);
  // inside <script>: no "</script>" or "<!--" can appear
  const json = JSON.stringify(d).replace(/</g, '\\u003c');
  const title = `lazymm: ${d.scenario}${d.violation ? ` — ${d.violation.title}` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
<script>window.__errors = []; window.onerror = function (m, s, l) { window.__errors.push(String(m) + ' (line ' + l + ')'); document.documentElement.setAttribute('data-errors', window.__errors.join(' | ')); };</script>
</head>
<body>
<header>
  <h1>${esc(d.scenario)}</h1>
  <div class="cfg">${esc(d.config)}</div>
  ${d.violation ? `<div class="viol"><b>${esc(d.violation.title)}</b><br>${esc(d.violation.where)}</div>` : '<div class="clean">no violation in this execution</div>'}
  <div class="cmd">replay: <code>${esc(d.replay)}</code></div>
  <div class="controls">
    <label><input type="checkbox" id="fold"> fold lines that do not lead to the violation</label>
    <label><input type="checkbox" id="rf" checked> arrows for the reads that lead to it</label>
    <span class="legend"><i class="k ipi"></i>IPI <i class="k sb"></i>store-buffer commit <i class="k rf"></i>cross-CPU read leading to the violation <i class="k mk"></i>line leading to the violation <i class="k vl"></i>violation</span>
  </div>
</header>
<main id="main"><noscript>This page draws the trace with JavaScript.</noscript></main>
<aside id="detail" hidden></aside>
<script type="application/json" id="data">${json}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
body { margin: 0; font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fafafa; }
header { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid #ddd; padding: 8px 14px; }
h1 { font-size: 17px; margin: 0 0 2px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.cfg { color: #555; }
.viol { margin: 6px 0; padding: 5px 8px; background: #ffe3e3; border-left: 4px solid #c62828; }
.clean { margin: 6px 0; padding: 5px 8px; background: #e8f5e9; border-left: 4px solid #2e7d32; }
.cmd code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; background: #f3f3f3; padding: 1px 4px; }
.controls { margin-top: 6px; display: flex; gap: 16px; flex-wrap: wrap; align-items: center; }
.legend { color: #555; }
.k { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin: 0 4px 0 10px; }
.k.ipi { background: #1f5fbf; } .k.sb { background: #2a8a3e; } .k.rf { border-top: 2px dashed #e07000; height: 0; }
.k.mk { height: 10px; border: 2px solid #e07000; background: #fff; } .k.vl { height: 10px; border: 2px solid #c62828; background: #ffd6d6; }
main { padding: 6px 14px 40px; }
svg text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.box rect { stroke: #9aa6b8; stroke-width: 1; }
.box.l0 rect { fill: #eef3fc; } .box.l1 rect { fill: #fff3df; } .box.l2 rect { fill: #fde7ef; } .box.l3 rect { fill: #e8f6ec; }
.box.marked rect { stroke: #e07000; stroke-width: 2.5; }
.box.violation rect { fill: #ffd6d6; stroke: #c62828; stroke-width: 3; }
.box:hover rect { stroke: #333; }
.box .step { font-weight: bold; font-size: 12px; } .box .who { fill: #666; font-size: 11px; } .box .txt { font-size: 11px; fill: #333; } .box .txt.m { fill: #b35400; font-weight: bold; }
.box.violation .txt.m { fill: #c62828; }
.ln { fill: #999; font-size: 11px; } .ln.m { fill: #e07000; font-weight: bold; }
.fold rect { fill: #f1f1f1; stroke: #ccc; stroke-dasharray: 3 3; } .fold text { fill: #777; font-size: 11px; } .fold { cursor: pointer; }
.lanehead { font-size: 12px; font-weight: bold; fill: #333; } .lanehead.off { fill: #aaa; font-weight: normal; }
.lanebg { fill: #f4f6f9; } .lanebg.off { fill: #f7f7f7; }
.flow { fill: none; stroke-width: 1.8; } .flow.ipi { stroke: #1f5fbf; } .flow.store-buffer { stroke: #2a8a3e; } .flow.reads-from { stroke: #e07000; stroke-dasharray: 5 3; }
aside { position: fixed; right: 12px; bottom: 12px; width: 520px; max-height: 45vh; overflow: auto; background: #fff; border: 1px solid #bbb; box-shadow: 0 2px 8px rgba(0,0,0,.15); padding: 8px 12px; font-size: 12px; z-index: 3; }
aside pre { white-space: pre-wrap; font-family: ui-monospace, "DejaVu Sans Mono", monospace; margin: 4px 0; }
aside .m { color: #b35400; font-weight: bold; }
`;

// Plain ES2017 (no template literals: this text is itself one).
const SCRIPT = String.raw`
(function () {
  var D = JSON.parse(document.getElementById('data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var ROW = 38, GUT = 44, HEAD = 26, GAP = 10;
  var WIDE = [340, 280, 280, 280], NARROW = 24;
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  var lanes = D.tso ? [0, 1, 2, 3] : [0, 1, 2];
  // columns: per CPU, its lanes (narrow when the trace never uses them)
  var cols = {}, x = GUT, cpuX = [];
  for (var c = 0; c < D.ncpus; c++) {
    cpuX.push(x);
    for (var i = 0; i < lanes.length; i++) {
      var l = lanes[i], on = D.used[c][l] || l === 0;
      cols[c + ':' + l] = { x: x, w: on ? WIDE[l] : NARROW, on: on };
      x += (on ? WIDE[l] : NARROW) + 4;
    }
    cpuX[c] = [cpuX[c], x - 4];
    x += GAP;
  }
  var W = x;
  // rows: a row per slice, runs of lines that lead nowhere folded on request
  var keep = {};
  D.slices.forEach(function (s) { if (s.marked || s.violation) keep[s.id] = true; });
  D.flows.forEach(function (f) { if (f.kind !== 'reads-from') { keep[f.from] = true; keep[f.to] = true; } });
  var opened = {};
  function rows(fold) {
    var out = [], run = [];
    function flush() {
      if (run.length >= 4 && !opened[run[0]]) out.push({ fold: run.slice() });
      else run.forEach(function (id) { out.push({ id: id }); });
      run = [];
    }
    D.slices.forEach(function (s) {
      if (fold && !keep[s.id]) run.push(s.id); else { flush(); out.push({ id: s.id }); }
    });
    flush();
    return out;
  }
  function fit(t, w) {
    var n = Math.floor((w - 12) / 6.7);
    return t.length > n ? t.slice(0, Math.max(1, n - 1)) + '\u2026' : t;
  }
  var main = document.getElementById('main');
  var detail = document.getElementById('detail');
  function show(s) {
    detail.hidden = false;
    detail.innerHTML = '';
    var h = document.createElement('div');
    h.innerHTML = '<b></b> <span></span> <a href="#" style="float:right">close</a>';
    h.children[0].textContent = (s.line ? 'line ' + s.line + ': ' : '') + s.step;
    h.children[1].textContent = 'cpu' + s.cpu + ' ' + D.laneNames[s.lane] + (s.who ? ', ' + s.who : '');
    h.children[2].onclick = function (e) { e.preventDefault(); detail.hidden = true; };
    detail.appendChild(h);
    s.texts.forEach(function (t, i) {
      var p = document.createElement('pre');
      p.textContent = t;
      if (s.marks[i]) p.className = 'm';
      detail.appendChild(p);
    });
  }
  function draw() {
    var fold = document.getElementById('fold').checked, showRf = document.getElementById('rf').checked;
    var R = rows(fold);
    var endRow = D.violation && D.violation.slice === null;
    var H = HEAD + (R.length + (endRow ? 1 : 0)) * ROW + 10;
    main.innerHTML = '';
    var svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, id: 'trace' }, main);
    var defs = el('defs', {}, svg);
    [['ipi', '#1f5fbf'], ['store-buffer', '#2a8a3e'], ['reads-from', '#e07000']].forEach(function (m) {
      var mk = el('marker', { id: 'arrow-' + m[0], viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
      el('path', { d: 'M0,0 L10,5 L0,10 z', fill: m[1] }, mk);
    });
    for (var c = 0; c < D.ncpus; c++) {
      lanes.forEach(function (l) {
        var col = cols[c + ':' + l];
        el('rect', { x: col.x, y: HEAD - 2, width: col.w, height: H - HEAD, 'class': 'lanebg' + (col.on ? '' : ' off') }, svg);
        if (col.on) el('text', { x: col.x + 6, y: 16, 'class': 'lanehead' }, svg, 'cpu' + c + ' ' + D.laneNames[l]);
        else el('title', {}, el('text', { x: 0, y: 0, 'class': 'lanehead off', transform: 'translate(' + (col.x + 8) + ',' + (HEAD + 4) + ') rotate(90)' }, svg, D.laneNames[l]), 'cpu' + c + ' ' + D.laneNames[l] + ': not used in this execution');
      });
    }
    var pos = {}, drawn = 0;
    R.forEach(function (r, i) {
      var y = HEAD + i * ROW;
      if (r.fold) {
        var g = el('g', { 'class': 'fold' }, svg);
        el('rect', { x: GUT, y: y + 6, width: W - GUT - GAP, height: ROW - 12, rx: 4 }, g);
        var a = D.slices[r.fold[0]], b = D.slices[r.fold[r.fold.length - 1]];
        el('text', { x: GUT + 10, y: y + ROW / 2 + 4 }, g, '\u22ef ' + r.fold.length + ' lines' + (a.line && b.line ? ' (' + a.line + '\u2013' + b.line + ')' : '') + ' that do not lead to it: click to show');
        g.addEventListener('click', function () { opened[r.fold[0]] = true; draw(); });
        return;
      }
      var s = D.slices[r.id], col = cols[s.cpu + ':' + s.lane];
      pos[s.id] = { x: col.x, w: col.w, y: y + 3, h: ROW - 6 };
      var g = el('g', { 'class': 'box l' + s.lane + (s.marked ? ' marked' : '') + (s.violation ? ' violation' : ''), id: 'slice-' + s.id }, svg);
      el('title', {}, g, (s.line ? s.line + ' ' : '') + s.step + (s.who ? ' (' + s.who + ')' : '') + '\n' + s.texts.join('\n'));
      el('rect', { x: col.x, y: y + 3, width: col.w, height: ROW - 6, rx: 4 }, g);
      el('text', { x: col.x + 5, y: y + 16, 'class': 'step' }, g, fit(s.step, col.w - 84));
      el('text', { x: col.x + col.w - 5, y: y + 16, 'class': 'who', 'text-anchor': 'end' }, g, fit(s.who, 96));
      var k = s.marks.indexOf(true), t = k >= 0 ? s.texts[k] : s.texts[0];
      el('text', { x: col.x + 5, y: y + 29, 'class': 'txt' + (k >= 0 ? ' m' : '') }, g, fit((s.texts.length > 1 && k > 0 ? '\u2026 ' : '') + t + (s.texts.length > 1 && k < s.texts.length - 1 ? ' \u2026' : ''), col.w));
      el('text', { x: GUT - 6, y: y + 22, 'text-anchor': 'end', 'class': 'ln' + (s.marked || s.violation ? ' m' : '') }, svg, s.line ? String(s.line) : '');
      g.addEventListener('click', function () { show(s); });
      drawn++;
    });
    if (endRow) {
      var ge = el('g', { 'class': 'box violation', id: 'end-of-run' }, svg), ye = HEAD + R.length * ROW;
      el('rect', { x: GUT, y: ye + 3, width: W - GUT - GAP, height: ROW - 6, rx: 4 }, ge);
      el('text', { x: GUT + 6, y: ye + 16, 'class': 'step' }, ge, 'end of run: quiescence check');
      el('text', { x: GUT + 6, y: ye + 29, 'class': 'txt m' }, ge, D.violation.title);
    }
    D.flows.forEach(function (f) {
      if (f.kind === 'reads-from' && !showRf) return;
      var a = pos[f.from], b = pos[f.to];
      if (!a || !b) return;
      var ax, bx, ay = a.y + a.h / 2, by = b.y + b.h / 2;
      if (a.x + a.w <= b.x) { ax = a.x + a.w; bx = b.x; } else if (b.x + b.w <= a.x) { ax = a.x; bx = b.x + b.w; } else { ax = a.x + a.w; bx = b.x + b.w; }
      var bend = (ax === bx) ? 40 : (bx - ax) / 2;
      var p = el('path', { d: 'M' + ax + ',' + ay + ' C' + (ax + bend) + ',' + ay + ' ' + (bx - bend) + ',' + by + ' ' + bx + ',' + by, 'class': 'flow ' + f.kind, 'marker-end': 'url(#arrow-' + f.kind + ')' }, svg);
      el('title', {}, p, f.label);
    });
    document.documentElement.setAttribute('data-rendered', String(drawn));
    document.documentElement.setAttribute('data-slices', String(D.slices.length));
  }
  var fold = document.getElementById('fold');
  fold.checked = D.slices.length > 60 && D.slices.some(function (s) { return s.marked; });
  fold.addEventListener('change', draw);
  document.getElementById('rf').addEventListener('change', draw);
  draw();
  if (D.violation && D.violation.slice !== null && !fold.checked) {
    var v = document.getElementById('slice-' + D.violation.slice);
    if (v && v.scrollIntoView) v.scrollIntoView({ block: 'center' });
  }
})();
`;
