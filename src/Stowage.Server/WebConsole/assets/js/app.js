// The console shell: login, navigation (hash routes), and the refresh timers of the page on screen.
import { loadCatalog, login, logout, session, onSessionExpired, call } from './api.js';
import { h, replace, field, errorBox, applyWidths, toast } from './ui.js';
import { sha512Hex } from './sha512.js';
import * as dashboard from './pages/dashboard.js';
import * as storage from './pages/storage.js';
import * as storageDetail from './pages/storage-detail.js';
import * as images from './pages/images.js';
import * as imageDetail from './pages/image-detail.js';
import * as zones from './pages/zones.js';
import * as configs from './pages/configs.js';
import * as tags from './pages/tags.js';
import * as jobs from './pages/jobs.js';

const routes = [
  [/^\/dashboard$/, dashboard, 'Dashboard'],
  [/^\/storage$/, storage, 'Backup storage'],
  [/^\/storage\/([0-9a-f]{32})$/, storageDetail, 'Backup storage'],
  [/^\/images$/, images, 'Images'],
  [/^\/images\/([0-9a-f]{32})$/, imageDetail, 'Image'],
  [/^\/zones$/, zones, 'Zones'],
  [/^\/configs$/, configs, 'Global configs'],
  [/^\/tags$/, tags, 'Tags'],
  [/^\/jobs$/, jobs, 'Jobs and events'],
];

const main = document.getElementById('main');
let current = { timers: [], alive: false };

/** Per-page context: timers that stop when the page is left, and a re-render. */
function newContext() {
  const ctx = {
    timers: [],
    alive: true,
    /** Runs fn now and then every ms while the page is shown; a failing run does not stop the next. */
    every(ms, fn) {
      let timer; let failing = false;
      ctx.polling = true;
      const tick = async () => {
        if (!ctx.alive) return;
        try {
          await fn();
          failing = false;
          main.dataset.ready = '1';
        } catch (e) {
          // Said once, not every tick; the next good refresh clears it.
          if (e.code !== 'ID.1001' && !failing) toast(`Refresh failed: ${e.description || ''} ${e.details || e.message}`, 'error');
          failing = true;
        }
        if (ctx.alive) { timer = setTimeout(tick, ms); ctx.timers.push(timer); }
      };
      tick();
    },
    refreshWidths: () => applyWidths(main),
    go: (hash) => { location.hash = hash; },
  };
  return ctx;
}

function stopPage() {
  current.alive = false;
  current.timers.forEach(clearTimeout);
}

async function route() {
  if (!session.uuid) return showLogin();
  const path = location.hash.replace(/^#/, '') || '/dashboard';
  const match = routes.map(([re, page, title]) => [re.exec(path), page, title]).find(([m]) => m);
  stopPage();
  document.getElementById('top').hidden = false;
  document.getElementById('who').textContent = session.account;
  document.querySelectorAll('#nav a').forEach((a) => {
    const on = path === a.getAttribute('href').slice(1) || path.startsWith(a.getAttribute('href').slice(1) + '/');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (!match) { location.hash = '#/dashboard'; return; }
  const [m, page, title] = match;
  document.title = `${title} · Stowage`;
  current = newContext();
  replace(main);
  // data-ready tells (tests, and anyone watching) that the page has its first data on screen.
  main.dataset.ready = '';
  try {
    await page.render(main, m.slice(1), current);
    applyWidths(main);
    if (!current.polling) main.dataset.ready = '1';
  } catch (e) {
    if (e.code !== 'ID.1001') replace(main, h('h1', title), errorBox(e));
  }
}

function showLogin(reason) {
  stopPage();
  document.getElementById('top').hidden = true;
  document.title = 'Log in · Stowage';
  const name = h('input', { name: 'accountName', autocomplete: 'username', required: true, value: 'admin' });
  const pw = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const status = h('div', { 'aria-live': 'assertive' }, reason ? h('div.notice', { role: 'alert' }, reason) : null);
  const form = h('form.login', { 'aria-labelledby': 'login-title' },
    h('h1#login-title', 'Stowage console'),
    h('p.muted', 'Log in with a Stowage account (the same as the API and stowage-cli).'),
    status, field('Account', name), field('Password', pw),
    h('div.buttons', h('button.primary', { type: 'submit' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      await login(name.value.trim(), await sha512Hex(pw.value));
      pw.value = '';
      if (!location.hash || location.hash === '#/login') location.hash = '#/dashboard'; else route();
    } catch (e) {
      replace(status, errorBox(e));
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  pw.focus();
}

onSessionExpired((reason) => showLogin(`You were logged out: ${reason}. Log in again.`));

document.getElementById('logout').addEventListener('click', async () => {
  stopPage();
  await logout();
  showLogin('You logged out; the session has ended.');
});
window.addEventListener('hashchange', route);

(async () => {
  try {
    await loadCatalog();
  } catch (e) {
    replace(main, h('h1', 'Stowage console'), errorBox(e));
    return;
  }
  if (session.uuid) {
    // A stored session may have expired while the tab was closed: say so instead of failing on the first page.
    try {
      const v = await call('ValidateSession', { sessionUuid: session.uuid });
      if (v.valid === false) { session.clear(); return showLogin('Your session has expired. Log in again.'); }
    } catch { /* the page's own calls will tell */ }
  }
  route();
})();
