// The Strongroom web console's page logic: sign-in and sign-out against /console/api/, the
// overview (clusters, backups, health) refreshed every 10 s, and live metrics polled from the
// control plane's GET /metrics every 3 s with sparklines drawn as inline SVG.
// Every value from the server goes into the DOM as text (textContent, setAttribute on fixed
// attribute names), never as HTML. The secret access key leaves the page only in the sign-in POST.

import { parsePrometheus, summarize, pushHistory, sparklinePoints, formatRate } from './metrics.js';

const API = '/console/api/';
/** Every POST carries it: the server refuses a POST without it (a cross-site form cannot add it). */
const CONSOLE_HEADER = { 'X-Strongroom-Console': '1' };
const OVERVIEW_MS = 10_000;
const METRICS_MS = 3_000;
const HISTORY = 40;
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);

/** An element with text children (strings) and element children; attrs set by name, never HTML. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = String(v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

const badge = (text, cls = text) => el('span', { class: `badge ${cls}` }, text);
const time = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const denied = (section) => el('p', { class: 'denied' }, `not authorised (${section.notAuthorized})`);

function table(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
}

function sparkline(values, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', `spark ${cls}`.trim());
  svg.setAttribute('viewBox', '0 0 120 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  const line = document.createElementNS(SVG_NS, 'polyline');
  line.setAttribute('points', sparklinePoints(values, 120, 22, HISTORY));
  line.setAttribute('transform', 'translate(0 1)');
  svg.append(line);
  return svg;
}

let signedIn = false;
let visibleClusters = null;
let timers = [];
/** The previous /metrics scrape ({ t, samples }) and each series' recent rates, for sparklines. */
let lastScrape = null;
const history = new Map();

async function api(path, init = {}) {
  const r = await fetch(API + path, { credentials: 'same-origin', cache: 'no-store', ...init });
  let body = {};
  try {
    body = await r.json();
  } catch {
    body = {};
  }
  return { status: r.status, ok: r.ok, body };
}

function showSignIn(message = '') {
  signedIn = false;
  for (const t of timers) clearInterval(t);
  timers = [];
  // Nothing of the last identity's view stays behind for the next one.
  visibleClusters = null;
  lastScrape = null;
  history.clear();
  for (const id of ['clusters', 'backups', 'health', 'metrics', 'status']) $(id).replaceChildren();
  $('console-view').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  $('signin-view').hidden = false;
  $('signin-error').textContent = message;
  $('access-key-id').focus();
}

function showConsole() {
  if (signedIn) return;
  signedIn = true;
  $('signin-view').hidden = true;
  $('console-view').hidden = false;
  $('signout').hidden = false;
  timers.push(setInterval(() => void refreshOverview(), OVERVIEW_MS));
  timers.push(setInterval(() => void refreshMetrics(), METRICS_MS));
  void refreshMetrics();
}

function renderClusters(clusters) {
  const box = $('clusters');
  if (!Array.isArray(clusters)) return box.replaceChildren(denied(clusters));
  if (clusters.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, 'No clusters in this account and region.'));
  box.replaceChildren(...clusters.map((c) => {
    const cert = c.certificate;
    const certText = cert.state === 'SIGNED' ? `signed; issuer ${cert.issuer ?? '?'}; valid to ${time(cert.validTo)}` : cert.state === 'CSR_PENDING' ? 'CSR waiting for InitializeCluster' : 'no CSR yet';
    const hsms = c.hsms.length === 0
      ? el('p', { class: 'muted' }, 'No HSMs.')
      : table(['Zone', 'HSM', 'State', 'Address', 'Process'], c.hsms.map((h) => el('tr', { class: h.state === 'DEGRADED' ? 'degraded' : '' },
        el('td', {}, h.az), el('td', { class: 'mono' }, h.id), el('td', {}, badge(h.state), h.stateMessage ? el('span', { class: 'muted' }, ' ', h.stateMessage) : null),
        el('td', { class: 'mono' }, h.eniIp), el('td', {}, h.processUp ? badge('up') : badge('down')))));
    return el('div', { class: 'cluster' },
      el('h3', {}, el('span', { class: 'mono' }, c.id), ' ', badge(c.state)),
      el('p', { class: 'facts' },
        el('span', {}, `type ${c.hsmType}`), el('span', {}, `mode ${c.mode}`), el('span', {}, `created ${time(c.createdAt)}`),
        el('span', {}, 'certificate ', badge(cert.state), ' ', certText)),
      c.stateMessage ? el('p', { class: 'muted' }, c.stateMessage) : null,
      hsms);
  }));
}

function renderBackups(backups) {
  const box = $('backups');
  if (!Array.isArray(backups)) return box.replaceChildren(denied(backups));
  if (backups.length === 0) return box.replaceChildren(el('p', { class: 'muted' }, 'No backups.'));
  box.replaceChildren(table(['Backup', 'State', 'Created', 'Cluster', 'Expires'], backups.map((b) => el('tr', {},
    el('td', { class: 'mono' }, b.id), el('td', {}, badge(b.state)), el('td', {}, time(b.createdAt)), el('td', { class: 'mono' }, b.clusterId),
    el('td', {}, b.neverExpires ? 'never' : 'by retention')))));
}

function renderHealth(health) {
  const box = $('health');
  if (!('hsms' in health)) return box.replaceChildren(denied(health));
  const n = health.hsms;
  const stat = (label, value, bad = false) => el('div', { class: bad && value > 0 ? 'bad' : '' }, el('span', { class: 'n' }, String(value)), label);
  box.replaceChildren(
    el('div', { class: 'summary' }, stat('HSMs', n.total), stat('active', n.active), stat('degraded', n.degraded, true), stat('process down', n.processDown, true)),
    health.degraded.length === 0
      ? el('p', { class: 'muted' }, 'Every HSM is healthy.')
      : table(['Cluster', 'HSM', 'State', 'Message'], health.degraded.map((d) => el('tr', { class: 'degraded' },
        el('td', { class: 'mono' }, d.clusterId), el('td', { class: 'mono' }, d.hsmId), el('td', {}, badge(d.state === 'ACTIVE' ? 'down' : d.state)), el('td', {}, d.message ?? '')))),
    el('p', { class: 'muted' }, `Control plane: region ${health.controlPlane.region}; health check every ${health.controlPlane.healthIntervalMs / 1000} s (a dead HSM is replaced in its zone); as of ${time(health.controlPlane.checkedAt)}.`),
  );
}

async function refreshOverview() {
  let r;
  try {
    r = await api('overview');
  } catch {
    $('status').textContent = 'The control plane does not answer; retrying.';
    return;
  }
  if (r.status === 401) return showSignIn(signedIn ? 'Your session ended; sign in again.' : '');
  if (!r.ok) {
    $('status').textContent = r.body.message ?? `The console API answered ${r.status}.`;
    return;
  }
  const o = r.body;
  $('who').textContent = `${o.identity.type === 'Root' ? 'root' : o.identity.userName} @ ${o.identity.accountId} (${o.region})`;
  $('status').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  visibleClusters = Array.isArray(o.clusters) ? o.clusters.map((c) => c.id) : [];
  renderClusters(o.clusters);
  renderBackups(o.backups);
  renderHealth(o.health);
  showConsole();
}

async function refreshMetrics() {
  if (!signedIn) return;
  const box = $('metrics');
  let text;
  try {
    const r = await fetch('/metrics', { cache: 'no-store', credentials: 'omit' });
    if (!r.ok) throw new Error(String(r.status));
    text = await r.text();
  } catch {
    lastScrape = null;
    box.replaceChildren(el('p', { class: 'muted' }, 'metrics not available'));
    return;
  }
  const cur = { t: Date.now(), samples: parsePrometheus(text) };
  const s = summarize(lastScrape, cur, visibleClusters);
  lastScrape = cur;
  const hist = (key, v) => pushHistory(history, key, v, HISTORY);
  const hsmRows = s.hsms.map((h) => {
    const key = `${h.clusterId}/${h.hsmId}`;
    return el('tr', { class: h.up === false ? 'degraded' : '' },
      el('td', { class: 'mono' }, h.clusterId), el('td', { class: 'mono' }, h.hsmId), el('td', {}, h.az),
      el('td', {}, h.up === null ? '—' : h.up ? badge('up') : badge('down')),
      el('td', {}, h.sessions === null ? '—' : String(h.sessions)),
      el('td', {}, h.keysTokenOccupied === null ? '—' : String(h.keysTokenOccupied)),
      el('td', {}, sparkline(hist(key + ' req', h.requestRate)), ' ', formatRate(h.requestRate)),
      el('td', {}, sparkline(hist(key + ' err', h.errorRate), 'err'), ' ', formatRate(h.errorRate)));
  });
  box.replaceChildren(
    el('h3', {}, 'HSMs'),
    hsmRows.length ? table(['Cluster', 'HSM', 'Zone', 'Up', 'Sessions', 'Token keys', 'Requests', 'Errors'], hsmRows) : el('p', { class: 'muted' }, 'No HSM metrics for your clusters.'),
    el('h3', {}, 'API (all callers)'),
    el('p', {}, 'requests ', sparkline(hist('api req', s.api.requestRate)), ' ', formatRate(s.api.requestRate),
      '   errors ', sparkline(hist('api err', s.api.errorRate), 'err'), ' ', formatRate(s.api.errorRate)),
    s.api.operations.length
      ? table(['Service', 'Operation', 'Requests', 'Errors'], s.api.operations.slice(0, 10).map((o) => el('tr', {},
        el('td', {}, o.service), el('td', {}, o.operation), el('td', {}, formatRate(o.rate)), el('td', {}, formatRate(o.errorRate)))))
      : null,
    el('p', { class: 'muted' }, lastScrape && s.api.requestRate === null ? 'Rates appear from the next scrape.' : `Scraped /metrics every ${METRICS_MS / 1000} s.`),
  );
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const idInput = $('access-key-id');
  const secretInput = $('secret-access-key');
  const body = JSON.stringify({ accessKeyId: idInput.value.trim(), secretAccessKey: secretInput.value });
  secretInput.value = '';
  $('signin-error').textContent = '';
  void api('signin', { method: 'POST', headers: { ...CONSOLE_HEADER, 'Content-Type': 'application/json' }, body }).then(
    (r) => (r.ok ? refreshOverview() : showSignIn(r.body.message ?? `Sign-in failed (${r.status}).`)),
    () => showSignIn('The control plane does not answer.'),
  );
});

$('signout').addEventListener('click', () => {
  void api('signout', { method: 'POST', headers: CONSOLE_HEADER }).finally(() => showSignIn('Signed out.'));
});

void refreshOverview();
