"""The web chat's stylesheet and page script: layout, source cards, citation previews, copy, counter."""

CSS = """
#chatbot .message-content, #chatbot .message { font-size: 0.95rem; }
.turn p { margin: 0 0 6px 0; }
.turn ul, .turn ol { margin: 2px 0 6px 1.2em; padding: 0; }
.turn li { margin: 2px 0; }
.table-wrap { overflow-x: auto; margin: 6px 0; }
.turn table { border-collapse: collapse; font-size: 0.88em; width: 100%; }
.turn th, .turn td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: left; vertical-align: top; }
.turn th { background: #f1f5f9; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 6px 0; background: #fff; }
.card.active { border-color: #d97706; box-shadow: 0 0 0 3px #fde68a; }
.card .quote { margin: 6px 0; padding: 4px 8px; border-left: 3px solid #d0d7de; }
.card .quote.active { border-left-color: #d97706; background: #fffbeb; }
.card mark { background: #fef3c7; color: inherit; }
.card .ctx { color: #57606a; }
.num { font-weight: 600; margin-right: 2px; color: #1d4ed8; }
.badge, .label { font-size: 0.75em; padding: 1px 6px; border-radius: 8px; white-space: nowrap; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.warn { background: #fef3c7; color: #92400e; }
.label { background: #e2e8f0; color: #334155; margin-left: 4px; }
.label.machine { background: #ede9fe; color: #5b21b6; }
.unverified { color: #b45309; font-size: 0.85em; }
.searched, .turn-sources, .meta, .missing, .panel-head { color: #57606a; font-size: 0.85em; margin-top: 4px; }
.notice { background: #fff7ed; border-left: 3px solid #f97316; padding: 4px 8px; margin: 4px 0; }
.abstained { background: #f1f5f9; padding: 6px 8px; border-radius: 6px; }
.tools { margin-top: 6px; }
.md-source { display: none !important; }
.tools button { font-size: 0.8em; border: 1px solid #d0d7de; border-radius: 6px; padding: 1px 8px;
  background: #f8fafc; }
details.more summary, details.turn-sources summary { cursor: pointer; }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
.gradio-container { overflow-x: clip !important; overflow-y: visible !important; }
#sources { max-height: calc(100vh - 190px) !important; overflow-y: auto !important; }
#sources-col { position: sticky; top: 8px; align-self: flex-start; }
#char-count { font-size: 0.8em; color: #57606a; text-align: right; }
#char-count.over { color: #b45309; font-weight: 600; }
#ask-msg:empty, #sources-msg:empty { display: none; }
#cite-preview { position: fixed; z-index: 1000; max-width: 380px; background: #fff; color: #111827;
  border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; box-shadow: 0 6px 20px rgba(0,0,0,.15);
  font-size: 0.85em; pointer-events: none; }
#cite-preview .outlet { font-weight: 600; }
#cite-preview mark { background: #fef3c7; }
#cite-sheet { position: fixed; z-index: 1001; left: 0; right: 0; bottom: 0; max-height: 55vh; overflow-y: auto;
  background: #fff; color: #111827; border-top: 2px solid #d97706; padding: 8px 12px 16px;
  box-shadow: 0 -6px 20px rgba(0,0,0,.2); }
#cite-sheet .quote:not(.active), #cite-sheet .ctx { display: none; }
#cite-sheet .close { float: right; border: 1px solid #d0d7de; border-radius: 6px; padding: 2px 10px; }
#deals-evidence { max-height: calc(100vh - 120px) !important; overflow-y: auto !important; }
#deals-col-right { position: sticky; top: 8px; align-self: flex-start; }
.deal-graph { width: 100%; height: auto; font-family: system-ui, sans-serif; }
.deal-graph text { font-size: 13px; fill: #1f2937; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.deal-graph text.head { font-size: 12px; fill: #57606a; text-transform: uppercase; letter-spacing: .05em; }
.deal-graph text.legend { font-size: 12px; fill: #57606a; }
.deal-graph .pair { cursor: pointer; outline: none; }
.deal-graph .pair .line { fill: none; stroke: #64748b; opacity: .55; }
.deal-graph .pair .hit { fill: none; stroke: transparent; stroke-width: 14; }
.deal-graph .pair:hover .line, .deal-graph .pair.active .line { stroke: #d97706; opacity: 1; }
.deal-graph circle.count { fill: #fff; stroke: #64748b; }
.deal-graph text.count { font-size: 11px; text-anchor: middle; font-weight: 600; }
.deal-graph .node circle { stroke: #334155; }
#deal-graph-box { max-height: 560px !important; overflow-y: auto !important; }
#deals-table td, #deals-table th { overflow-wrap: normal; word-break: normal; }
#deals-table table { table-layout: fixed; }
@media (max-width: 768px) {
  #sources-col, #deal-graph-box, #deal-graph-note { display: none !important; }
  #chatbot { height: 46vh !important; min-height: 220px; }
  .app-intro p { display: none; }
  .app-intro h2 { font-size: 1.1rem; margin: 0; }
}
"""

# One listener per behaviour on the document, so the chat's re-renders never lose them.
JS = """
() => {
  const mobile = () => window.matchMedia('(max-width: 768px)').matches;
  const scrollable = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p).overflowY;
      if ((s === 'auto' || s === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return null;
  };
  // Scroll only `box` (never the page) so that `el` shows near its top.
  const reveal = (el, box) => {
    box = box || scrollable(el);
    if (!box) return;
    box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  };
  const locate = (link) => {
    const [turn, n] = link.getAttribute('href').split('-').slice(1);
    const inPanel = !mobile() && document.getElementById(`panel-${turn}-${n}`);
    const anchor = inPanel || document.getElementById(`src-${turn}-${n}`);
    if (!anchor) return null;
    return {anchor, inPanel: !!inPanel, quote: anchor.closest('.quote'), card: anchor.closest('.card')};
  };
  const sheet = (card) => {
    let el = document.getElementById('cite-sheet');
    if (!el) {
      el = document.createElement('div');
      el.id = 'cite-sheet';
      document.body.appendChild(el);
      el.addEventListener('click', (e) => { if (e.target.closest('.close')) el.hidden = true; });
    }
    const copy = card.outerHTML.replace(/ id="/g, ' data-id="');
    el.innerHTML = '<button class="close" type="button">Close</button>' + copy;
    el.hidden = false;
    el.scrollTop = 0;
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a.cite');
    if (!link) return;
    event.preventDefault();
    const found = locate(link);
    if (!found) return;
    document.querySelectorAll('.card.active, .quote.active').forEach((el) => el.classList.remove('active'));
    found.card.classList.add('active');
    if (found.quote) found.quote.classList.add('active');
    const fold = found.card.closest('details');
    if (fold) fold.open = true;
    if (found.inPanel) reveal(found.card, document.getElementById('sources'));
    else if (mobile()) sheet(found.card);
    else reveal(found.card);
  }, true);
  const preview = () => {
    let el = document.getElementById('cite-preview');
    if (!el) {
      el = document.createElement('div');
      el.id = 'cite-preview';
      el.hidden = true;
      document.body.appendChild(el);
    }
    return el;
  };
  document.addEventListener('mouseover', (event) => {
    const link = event.target.closest && event.target.closest('a.cite');
    if (!link || mobile()) return;
    const found = locate(link);
    if (!found) return;
    const el = preview();
    el.replaceChildren();
    const head = document.createElement('div');
    const outlet = document.createElement('span');
    outlet.className = 'outlet';
    const text = (cls) => { const el = found.card.querySelector(cls); return el ? el.textContent : ''; };
    outlet.textContent = text('.outlet');
    head.append(link.textContent + ' ', outlet, ` · ${text('.date') || 'undated'}`);
    const quote = document.createElement('mark');
    const mark = found.quote && found.quote.querySelector('mark');
    quote.textContent = mark ? mark.textContent : '';
    el.append(head, quote);
    const r = link.getBoundingClientRect();
    el.style.left = Math.max(4, Math.min(r.left, window.innerWidth - 392)) + 'px';
    el.style.top = (r.bottom + 6 + 160 > window.innerHeight ? Math.max(4, r.top - 170) : r.bottom + 6) + 'px';
    el.hidden = false;
  });
  document.addEventListener('mouseout', (event) => {
    if (event.target.closest && event.target.closest('a.cite')) preview().hidden = true;
  });
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button.copy-md');
    if (!button) return;
    const source = button.parentElement.querySelector('.md-source');
    const text = source ? source.textContent : '';
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy as Markdown'; }, 1500);
  });
  // A new answer scrolls its conversation so the answer's first line shows; later text never moves it.
  let shown = '';
  new MutationObserver(() => {
    const turns = document.querySelectorAll('#chatbot .turn[id]');
    if (!turns.length) { shown = ''; return; }
    const last = turns[turns.length - 1];
    if (last.id === shown) return;
    shown = last.id;
    const bubble = last.closest('.message-row, .message') || last;
    const box = scrollable(bubble);
    if (box) box.scrollTop += bubble.getBoundingClientRect().top - box.getBoundingClientRect().top - 48;
  }).observe(document.body, {childList: true, subtree: true});
  // The question box's length against the limit, always visible.
  const count = () => {
    const box = document.querySelector('#question textarea');
    const counter = document.getElementById('char-count');
    if (!box || !counter) return;
    const limit = Number(counter.dataset.limit || 0), n = box.value.length;
    const over = limit && n > limit;
    counter.classList.toggle('over', !!over);
    const fmt = (x) => x.toLocaleString('en');
    counter.textContent = `${fmt(n)} / ${fmt(limit)} characters` + (over ? `: ${fmt(n - limit)} too many` : '');
  };
  document.addEventListener('input', count);
  setInterval(count, 500);
}
"""

GRAPH_JS = """
element.addEventListener('click', (event) => {
  const pair = event.target.closest('[data-pair]');
  if (!pair) return;
  element.querySelectorAll('.pair.active').forEach((el) => el.classList.remove('active'));
  pair.classList.add('active');
  trigger('click', {pair: pair.dataset.pair});
});
"""
