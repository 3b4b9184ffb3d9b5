// The inbox page: static HTML, CSS and browser JavaScript (no framework, no CDN). The HTML never holds
// message data; the script renders every value with textContent, never innerHTML.

/** The inbox page's HTML (a static shell: no message data). */
export const INBOX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMS inbox · provider-sms emulator</title>
<link rel="stylesheet" href="/inbox.css">
<script src="/inbox.js" defer></script>
</head>
<body>
<header>
  <h1>SMS inbox</h1>
  <span id="live" class="live off" title="event stream">connecting…</span>
  <span id="count" class="count"></span>
  <div class="tools">
    <input id="filter-to" type="search" placeholder="Filter by recipient" aria-label="Filter by recipient" autocomplete="off">
    <select id="filter-provider" aria-label="Filter by provider">
      <option value="">All providers</option>
      <option value="twilio">Twilio</option>
      <option value="msg91">MSG91</option>
    </select>
    <button id="clear" type="button" class="danger">Clear all</button>
  </div>
</header>
<p id="endpoints" class="endpoints"></p>
<main id="list" aria-live="polite"></main>
<p id="empty" class="empty">No messages yet. Send one through the emulators and it appears here.</p>
</body>
</html>
`;

/** The inbox page's stylesheet. */
export const INBOX_CSS = `:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --muted:#6a7283; --line:#e2e5eb;
  --twilio:#e1222e; --msg91:#1769d1; --ok:#147a3d; --warn:#b25e00; --bad:#b3261e; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--ink); }
header { position:sticky; top:0; z-index:1; display:flex; flex-wrap:wrap; align-items:center; gap:12px;
  padding:12px 20px; background:#fff; border-bottom:1px solid var(--line); }
h1 { font-size:18px; margin:0; }
.live { font-size:12px; padding:2px 8px; border-radius:10px; background:#e6f4ea; color:var(--ok); }
.live.off { background:#fdecea; color:var(--bad); }
.count { color:var(--muted); font-size:12px; }
.tools { margin-left:auto; display:flex; gap:8px; }
input, select, button { font:inherit; padding:5px 9px; border:1px solid var(--line); border-radius:6px; background:#fff; color:var(--ink); }
input[type=search] { width:220px; }
button { cursor:pointer; }
button:hover { border-color:#aab1bf; }
button:disabled { opacity:.55; cursor:progress; }
button.danger { color:var(--bad); }
.endpoints { margin:8px 20px 0; color:var(--muted); font-size:12px; }
main { padding:12px 20px 40px; display:grid; gap:10px; max-width:1100px; }
.empty { margin:40px 20px; color:var(--muted); text-align:center; }
.msg { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--twilio); border-radius:8px; padding:10px 14px; }
.msg.msg91 { border-left-color:var(--msg91); }
.msg.rejected { background:#fffafa; }
.row { display:flex; flex-wrap:wrap; align-items:center; gap:8px; }
.provider { font-weight:600; font-size:12px; color:#fff; background:var(--twilio); border-radius:4px; padding:1px 6px; }
.msg91 .provider { background:var(--msg91); }
.status { font-size:12px; font-weight:600; border-radius:10px; padding:1px 8px; background:#eef0f4; color:var(--muted); }
.status.delivered, .status.sent { background:#e6f4ea; color:var(--ok); }
.status.undelivered { background:#fff2e0; color:var(--warn); }
.status.failed, .status.rejected { background:#fdecea; color:var(--bad); }
.time, .id { color:var(--muted); font-size:12px; }
.id { font-family:ui-monospace,Menlo,Consolas,monospace; margin-left:auto; }
.route { margin-top:6px; }
.route b { font-weight:600; }
.label { color:var(--muted); }
.body { margin:6px 0; padding:8px 10px; background:#f8f9fb; border-radius:6px; white-space:pre-wrap; word-break:break-word;
  font:13px/1.45 ui-monospace,Menlo,Consolas,monospace; }
.vars { margin:6px 0; display:grid; grid-template-columns:max-content 1fr; gap:2px 10px; font-size:13px; }
.vars dt { color:var(--muted); font-family:ui-monospace,Menlo,Consolas,monospace; }
.vars dd { margin:0; white-space:pre-wrap; word-break:break-word; font-family:ui-monospace,Menlo,Consolas,monospace; }
.meta { color:var(--muted); font-size:12px; display:flex; gap:12px; flex-wrap:wrap; }
.error { color:var(--bad); font-weight:600; }
.actions { margin-top:8px; display:flex; flex-wrap:wrap; gap:6px; align-items:center; }
.actions button { font-size:12px; padding:3px 8px; }
.actions .hint { color:var(--muted); font-size:12px; }
.webhook { margin-top:8px; font-size:12px; border-top:1px dashed var(--line); padding-top:6px; }
.webhook .code { font-weight:600; }
.webhook .code.ok { color:var(--ok); }
.webhook .code.bad { color:var(--bad); }
.webhook pre { margin:4px 0 0; white-space:pre-wrap; word-break:break-word; max-height:8em; overflow:auto; background:#f8f9fb; padding:4px 6px; border-radius:4px; }
`;

/** The inbox page's browser script (plain ES2020; every value is rendered with textContent). */
export const INBOX_JS = `'use strict';
(function () {
  var items = new Map();
  var notes = new Map();
  var $ = function (id) { return document.getElementById(id); };
  var filterTo = $('filter-to');
  var filterProvider = $('filter-provider');

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var TWILIO_ACTIONS = [
    { label: 'delivered', status: 'delivered' },
    { label: 'undelivered 30003', status: 'undelivered', errorCode: 30003 },
    { label: 'undelivered 30005', status: 'undelivered', errorCode: 30005 },
    { label: 'undelivered 30006', status: 'undelivered', errorCode: 30006 },
    { label: 'failed', status: 'failed' }
  ];
  var MSG91_ACTIONS = [
    { label: 'delivered', status: 'delivered' },
    { label: 'undelivered', status: 'undelivered' },
    { label: 'failed', status: 'failed' }
  ];

  function sorted() {
    return Array.from(items.values()).sort(function (a, b) {
      return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : b.seq - a.seq;
    });
  }

  function visible(m) {
    var to = filterTo.value.trim();
    var p = filterProvider.value;
    return (!to || m.to.indexOf(to) !== -1) && (!p || m.provider === p);
  }

  function webhookView(d) {
    var box = el('div', 'webhook');
    box.appendChild(el('span', 'label', 'Webhook: POST '));
    box.appendChild(el('span', 'url', d.url));
    box.appendChild(el('span', 'label', ' (' + d.reported + (d.errorCode !== undefined ? ' ' + d.errorCode : '') + ') → '));
    if (d.error) {
      box.appendChild(el('span', 'code bad', 'error: ' + d.error));
    } else {
      var ok = d.status >= 200 && d.status < 300;
      box.appendChild(el('span', 'code ' + (ok ? 'ok' : 'bad'), 'HTTP ' + d.status));
      if (d.body) box.appendChild(el('pre', 'response', d.body));
    }
    return box;
  }

  function card(m) {
    var a = el('article', 'msg ' + m.provider + (m.accepted ? '' : ' rejected'));
    a.dataset.id = m.id;
    a.dataset.provider = m.provider;
    var top = el('div', 'row');
    top.appendChild(el('span', 'provider', m.provider === 'twilio' ? 'Twilio' : 'MSG91'));
    var st = el('span', 'status ' + m.status, m.status);
    st.dataset.status = m.status;
    top.appendChild(st);
    top.appendChild(el('span', 'time', new Date(m.createdAt).toLocaleString()));
    top.appendChild(el('span', 'id', m.id));
    a.appendChild(top);

    var route = el('div', 'route');
    route.appendChild(el('span', 'label', 'From '));
    route.appendChild(el('b', 'from', m.from || '—'));
    if (m.account) route.appendChild(el('span', 'label', ' (account ' + m.account + ')'));
    route.appendChild(el('span', 'label', '  →  To '));
    route.appendChild(el('b', 'to', m.to));
    a.appendChild(route);

    if (m.provider === 'msg91') {
      var tpl = el('div', 'template');
      tpl.appendChild(el('span', 'label', 'Template '));
      tpl.appendChild(el('b', null, m.templateId || '—'));
      a.appendChild(tpl);
      var dl = el('dl', 'vars');
      Object.keys(m.variables || {}).forEach(function (k) {
        dl.appendChild(el('dt', null, k));
        dl.appendChild(el('dd', null, m.variables[k]));
      });
      a.appendChild(dl);
    } else {
      a.appendChild(el('pre', 'body', m.body));
    }

    var meta = el('div', 'meta');
    meta.appendChild(el('span', 'segments', m.segments + (m.segments === 1 ? ' segment' : ' segments') + (m.provider === 'msg91' ? ' (est.)' : '')));
    meta.appendChild(el('span', 'encoding', m.encoding));
    meta.appendChild(el('span', 'length', Array.from(m.body || '').length + ' chars'));
    if (m.errorCode !== undefined) {
      meta.appendChild(el('span', 'error', 'Error ' + m.errorCode + (m.errorMessage ? ': ' + m.errorMessage : '')));
    }
    a.appendChild(meta);

    if (m.accepted) {
      var acts = el('div', 'actions');
      if (m.callbackUrl) {
        acts.appendChild(el('span', 'hint', 'Push status:'));
        (m.provider === 'twilio' ? TWILIO_ACTIONS : MSG91_ACTIONS).forEach(function (act) {
          var b = el('button', null, act.label);
          b.type = 'button';
          b.dataset.action = act.label;
          b.addEventListener('click', function () { push(m.id, act, b); });
          acts.appendChild(b);
        });
      } else {
        acts.appendChild(el('span', 'hint', m.provider === 'twilio'
          ? 'No StatusCallback was given at send time: nothing to notify.'
          : 'No MSG91 delivery report URL configured.'));
      }
      a.appendChild(acts);
    }
    var note = notes.get(m.id);
    if (note) a.appendChild(el('div', 'webhook error', note));
    else if (m.lastDelivery) a.appendChild(webhookView(m.lastDelivery));
    return a;
  }

  function render() {
    var list = $('list');
    var all = sorted();
    var shown = all.filter(visible);
    list.replaceChildren.apply(list, shown.map(card));
    $('count').textContent = shown.length + ' of ' + all.length + ' message' + (all.length === 1 ? '' : 's');
    $('empty').hidden = shown.length > 0;
  }

  var seq = 0;
  function upsert(m) {
    var old = items.get(m.id);
    m.seq = old ? old.seq : seq++;
    items.set(m.id, m);
  }

  function push(id, act, button) {
    button.disabled = true;
    notes.delete(id);
    var body = { status: act.status };
    if (act.errorCode !== undefined) body.errorCode = act.errorCode;
    fetch('/api/messages/' + encodeURIComponent(id) + '/status', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (j) {
        if (!res.ok) notes.set(id, 'Could not push the status: ' + (j && j.error ? j.error : 'HTTP ' + res.status));
        else {
          var m = items.get(id);
          if (m) { m.lastDelivery = j.delivered; }
        }
      });
    }).catch(function (e) {
      notes.set(id, 'Could not push the status: ' + e.message);
    }).then(render);
  }

  $('clear').addEventListener('click', function () {
    fetch('/api/messages', { method: 'DELETE' }).then(function () { items.clear(); notes.clear(); render(); });
  });
  filterTo.addEventListener('input', render);
  filterProvider.addEventListener('change', render);

  fetch('/api/config').then(function (r) { return r.json(); }).then(function (c) {
    var parts = [];
    if (c.twilio) parts.push('Twilio ' + c.twilio.url + ' (account ' + c.twilio.accountSid + ')');
    if (c.msg91) parts.push('MSG91 ' + c.msg91.url + ' (template ' + c.msg91.templateId + '; DLR URL ' + (c.msg91.dlrUrl || 'not set') + ')');
    $('endpoints').textContent = parts.join('  ·  ');
  }).catch(function () {});

  function connect() {
    var live = $('live');
    var es = new EventSource('/api/events');
    es.addEventListener('open', function () { live.textContent = 'live'; live.className = 'live'; });
    es.addEventListener('error', function () { live.textContent = 'reconnecting…'; live.className = 'live off'; });
    es.addEventListener('snapshot', function (ev) {
      items.clear();
      var list = JSON.parse(ev.data).messages;
      for (var i = list.length - 1; i >= 0; i--) upsert(list[i]);
      render();
    });
    es.addEventListener('message', function (ev) { upsert(JSON.parse(ev.data)); render(); });
  }
  render();
  connect();
})();
`;
