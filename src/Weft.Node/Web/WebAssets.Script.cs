namespace Weft.Node.Web;

internal static partial class WebAssets
{
    /// <summary>
    /// The page's behaviour: polls /api/state every few seconds, renders with textContent only (names come from
    /// the tailnet and are never parsed as HTML), and echoes the token cookie on every API call.
    /// </summary>
    public const string Script = """"
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const refreshMs = 3000;
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('weft_web_token='));
  const token = cookie ? decodeURIComponent(cookie.slice('weft_web_token='.length)) : '';
  let state = null;
  let busy = 0;
  let timer = 0;
  let authUrl = null;
  // What the last action failed with: it stays on screen across polls until the next action, or it would flash by.
  let actionError = null;

  // Theme: ?theme= (for links and screenshots) or the saved choice; otherwise the browser's preference.
  const root = document.documentElement;
  const wanted = new URLSearchParams(location.search).get('theme') || localStorage.getItem('weft-theme');
  if (wanted === 'light' || wanted === 'dark') root.dataset.theme = wanted;
  const effectiveTheme = () => root.dataset.theme || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  const showThemeButton = () => { $('theme').textContent = effectiveTheme() === 'dark' ? 'Light theme' : 'Dark theme'; };
  $('theme').addEventListener('click', () => {
    root.dataset.theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
    localStorage.setItem('weft-theme', root.dataset.theme);
    showThemeButton();
  });
  showThemeButton();

  async function api(method, path, body) {
    const headers = { 'X-Weft-Token': token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch('/api/' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'same-origin' });
    } catch {
      throw new Error('weft web is not answering: is `weft web` still running?');
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
    return data;
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message || '';
    box.hidden = !message;
  }

  let toastTimer = 0;
  function toast(message) {
    const t = $('toast');
    t.textContent = message;
    t.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.remove('show'), 1600);
  }

  async function copy(text, what) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Older browsers, or clipboard permission refused: fall back to a selected text area.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    toast(`Copied ${what}: ${text}`);
  }

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k.startsWith('data-') || k.startsWith('aria-') || k === 'title' || k === 'type') node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  function copyButton(text, what, testid, label) {
    const b = el('button', { type: 'button', class: 'copy', text: label || 'Copy', title: `Copy ${what}`, 'aria-label': `Copy ${what} ${text}`, 'data-testid': testid });
    b.addEventListener('click', () => copy(text, what));
    return b;
  }

  const stateLabels = {
    Running: ['Connected', 'ok'], Stopped: ['Disconnected', 'warn'], Starting: ['Connecting…', 'warn'],
    NeedsLogin: ['Logged out: log in to connect', 'bad'], NeedsMachineAuth: ['Waiting for an admin to approve this device', 'warn'], NoState: ['Not configured: run weft up --login-server URL', 'bad'],
  };

  function pathKind(path) {
    if (!path) return ['idle', ''];
    if (path.startsWith('direct')) return ['direct', 'direct'];
    if (path.startsWith('relay')) return ['relay', 'relay'];
    return [path, ''];
  }

  function matches(peer, q) {
    if (!q) return true;
    const hay = [peer.name, peer.fqdn, peer.user, peer.os, ...(peer.addresses || []), ...(peer.tags || [])].join(' ').toLowerCase();
    return q.split(/\s+/).every((word) => hay.includes(word));
  }

  function renderPeers() {
    const list = $('peers');
    const peers = (state && state.status.peers) || [];
    const q = $('search').value.trim().toLowerCase();
    const shown = peers.filter((p) => matches(p, q)).sort((a, b) => (b.online - a.online) || a.name.localeCompare(b.name));
    list.replaceChildren(...shown.map((p) => {
      const [pathText, pathClass] = pathKind(p.path);
      const ip = (p.addresses || [])[0] || '';
      const name = p.fqdn ? p.fqdn.replace(/\.$/, '') : p.name;
      return el('li', { class: 'peer', 'data-testid': `peer-${p.name}` },
        el('div', { class: 'name' },
          el('span', { class: p.online ? 'dot on' : 'dot', title: p.online ? 'online' : 'offline' }),
          el('span', { text: p.name }),
          el('span', { class: `badge ${pathClass}`, text: pathText, title: p.path || 'no traffic yet', 'data-testid': `path-${p.name}` })),
        el('div', { class: 'buttons' }, copyButton(name, 'name', `copy-name-${p.name}`, 'Copy name'), ip ? copyButton(ip, 'IP', `copy-ip-${p.name}`, 'Copy IP') : null),
        el('div', { class: 'meta' },
          el('span', { class: 'ip', text: (p.addresses || []).join('  ') }),
          el('span', { text: p.online ? 'online' : 'offline', 'data-testid': `online-${p.name}` }),
          // The whole path as `weft status` prints it: which endpoint or relay region carries the traffic.
          p.path ? el('span', { class: 'ip', text: p.path, 'data-testid': `path-detail-${p.name}` }) : null,
          p.user ? el('span', { text: p.user }) : null,
          p.os ? el('span', { text: p.os }) : null));
    }));
    $('peer-count').textContent = peers.length ? (shown.length === peers.length ? `(${peers.length})` : `(${shown.length} of ${peers.length})`) : '';
    const none = $('no-peers');
    none.hidden = shown.length > 0;
    none.textContent = peers.length ? 'No peer matches the search.' : 'No peers yet.';
  }

  function render() {
    const s = state.status;
    const self = s.self;
    const backend = s.backendState;
    document.title = self ? `${self.name} · Weft` : 'Weft';
    $('device-name').textContent = self ? self.name : 'This device';
    $('device-user').textContent = [s.user, self && self.fqdn ? self.fqdn.replace(/\.$/, '') : ''].filter(Boolean).join(' · ');
    // The daemon says NoState both on a fresh install and after a logout; with a login server known it is the latter.
    const [label, tone] = backend === 'NoState' && state.prefs.loginServer ? stateLabels.NeedsLogin
      // A login link from control means the user has already asked to log in: point at the link, not the button.
      : backend === 'NeedsLogin' && s.authUrl ? ['Waiting for you to log in: open the link below', 'warn']
      : (stateLabels[backend] || [backend, '']);
    const pill = $('state');
    pill.textContent = label;
    pill.className = `pill ${tone}`;

    const loggedIn = backend !== 'NeedsLogin' && backend !== 'NoState';
    const connected = $('connected');
    // While a change is on its way, the controls keep what the user chose; the next refresh shows the outcome.
    if (busy === 0) connected.checked = state.prefs.wantRunning && loggedIn;
    connected.disabled = busy > 0 || !loggedIn;
    $('connected-label').textContent = connected.checked ? 'Connected' : 'Disconnected';

    const url = s.authUrl || authUrl;
    $('login-box').hidden = !url || backend === 'Running';
    if (url) { $('login-url').textContent = url; $('login-url').href = url; }
    $('login').hidden = loggedIn;
    $('logout').hidden = !loggedIn;

    const addresses = $('addresses');
    const rows = [];
    if (self) {
      const fqdn = self.fqdn ? self.fqdn.replace(/\.$/, '') : '';
      if (fqdn) rows.push(['MagicDNS', fqdn, 'name', 'copy-fqdn']);
      for (const a of self.addresses || []) rows.push([a.includes(':') ? 'IPv6' : 'IPv4', a, a.includes(':') ? 'IPv6 address' : 'IPv4 address', a.includes(':') ? 'copy-ipv6' : 'copy-ipv4']);
    }
    addresses.replaceChildren(...rows.flatMap(([term, value, what, testid]) => [
      el('dt', { text: term }),
      el('dd', {}, el('span', { text: value, 'data-testid': `value-${testid}` }), copyButton(value, what, testid)),
    ]));

    const profiles = state.profiles || [];
    $('profile-box').hidden = profiles.length === 0;
    const select = $('profile');
    if (busy === 0) {
      select.replaceChildren(...profiles.map((p) => el('option', { value: p.id, text: [p.user || p.id, p.tailnet].filter(Boolean).join(' · '), selected: p.current })));
    }
    select.disabled = busy > 0;

    if (busy === 0) $('accept-dns').checked = !!state.prefs.acceptDns;
    $('accept-dns').disabled = busy > 0;
    $('health').replaceChildren(...(s.health || []).map((h) => el('li', { text: h })));
    renderPeers();
  }

  // Only the newest poll renders: one started before a change must not paint the state from before it.
  let generation = 0;
  async function refresh() {
    clearTimeout(timer);
    const mine = ++generation;
    try {
      const next = await api('GET', 'state');
      if (mine !== generation) return;
      state = next;
      showError(actionError);
      render();
    } catch (e) {
      if (mine !== generation) return;
      showError(e.message);
    }
    timer = setTimeout(refresh, refreshMs);
  }

  // Runs one change against the daemon, then shows the new state (or the daemon's message).
  async function act(work, done) {
    busy++;
    generation++;
    actionError = null;
    showError(null);
    if (state) render();
    try {
      await work();
      if (done) toast(done);
    } catch (e) {
      actionError = e.message;
      showError(actionError);
    } finally {
      busy--;
      await refresh();
    }
  }

  async function up(forceReauth) {
    const answer = await api('POST', 'up', { forceReauth });
    authUrl = answer && answer.authUrl ? answer.authUrl : null;
  }

  $('connected').addEventListener('change', (e) => {
    const on = e.target.checked;
    act(() => (on ? up(false) : api('POST', 'down')), on ? 'Connecting' : 'Disconnected');
  });
  $('login').addEventListener('click', () => act(() => up(false)));
  $('logout').addEventListener('click', () => {
    if (confirm('Log out of the tailnet on this device?')) act(() => api('POST', 'logout'), 'Logged out');
  });
  $('profile').addEventListener('change', (e) => {
    const profile = e.target.value;
    act(() => api('POST', 'switch', { profile }), 'Account switched');
  });
  $('accept-dns').addEventListener('change', (e) => {
    const on = e.target.checked;
    act(() => api('POST', 'prefs', { acceptDns: on }), on ? 'Using tailnet DNS' : 'Not using tailnet DNS');
  });
  $('search').addEventListener('input', () => { if (state) renderPeers(); });
  document.addEventListener('keydown', (e) => {
    if (e.key === '/' && document.activeElement !== $('search')) { e.preventDefault(); $('search').focus(); }
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  refresh();
})();
"""";
}
