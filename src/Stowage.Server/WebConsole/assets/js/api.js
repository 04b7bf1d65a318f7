// The console's only way to the server: the REST v1 API, driven by the API catalogue (GET /zstack/v1/apis),
// so methods, paths, body keys and parameters come from the server, never from a copy in the console.
export const PREFIX = '/zstack/v1';
const SESSION_KEY = 'stowage.session';
const JOB_POLL_MS = 300;

let catalog = new Map();
let expiredHandler = () => {};

/** An API failure: the ZStack error envelope's code, description and details. */
export class ApiError extends Error {
  constructor(error, status) {
    super(error?.details || error?.description || `HTTP ${status}`);
    this.code = error?.code ?? '';
    this.description = error?.description ?? '';
    this.details = error?.details ?? '';
    this.status = status;
  }
}

export const session = {
  get uuid() { return sessionStorage.getItem(SESSION_KEY); },
  get account() { return sessionStorage.getItem(SESSION_KEY + '.account') ?? ''; },
  set(uuid, account) { sessionStorage.setItem(SESSION_KEY, uuid); sessionStorage.setItem(SESSION_KEY + '.account', account); },
  clear() { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(SESSION_KEY + '.account'); },
};

/** Called with the reason when the server says the session is unknown or expired (ID.1001). */
export function onSessionExpired(handler) { expiredHandler = handler; }

export async function loadCatalog() {
  const res = await fetch(PREFIX + '/apis', { cache: 'no-cache' });
  if (!res.ok) throw new ApiError({ description: 'cannot read the API catalogue', details: `HTTP ${res.status}` }, res.status);
  const doc = await res.json();
  catalog = new Map(doc.apis.map((a) => [a.name, a]));
  return catalog;
}

export const api = (name) => catalog.get(name);
export const apis = () => [...catalog.values()];

function newJobUuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

async function readError(res) {
  const text = await res.text();
  try {
    const body = JSON.parse(text);
    if (body?.error) return new ApiError(body.error, res.status);
  } catch { /* plain text answer (404 of an unknown path) */ }
  return new ApiError({ description: `HTTP ${res.status}`, details: text.slice(0, 500) }, res.status);
}

function fail(err) {
  if (err.code === 'ID.1001') {
    session.clear();
    expiredHandler(`${err.description || 'Session expired'}${err.details ? ': ' + err.details : ''}`);
  }
  throw err;
}

function appendQuery(params, key, value) {
  if (value === undefined || value === null || value === '') return;
  if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
  else params.append(key, String(value));
}

/**
 * Calls an API by its catalogue name. Path parameters come from `args`; the rest goes to the query string
 * (GET/DELETE) or under the API's body key. Async APIs are polled to their end. `opts.onJob(jobUuid)` is told
 * the job's id before it starts (we pick it with X-Job-UUID), for progress and cancel.
 */
export async function call(name, args = {}, opts = {}) {
  const a = catalog.get(name);
  if (!a) throw new ApiError({ description: 'unknown API', details: `the server has no API ${name}` }, 0);
  const rest = { ...args };
  const systemTags = rest.systemTags; const userTags = rest.userTags;
  delete rest.systemTags; delete rest.userTags;
  const path = a.path.replace(/\{(\w+)\}/g, (_, k) => { const v = rest[k]; delete rest[k]; return encodeURIComponent(v ?? ''); });
  const headers = {};
  if (a.needSession !== false && session.uuid) headers.Authorization = 'OAuth ' + session.uuid;
  let url = PREFIX + path;
  let body;
  if (a.method === 'GET' || a.method === 'DELETE') {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(rest)) appendQuery(qs, k, v);
    appendQuery(qs, 'systemTags', systemTags); appendQuery(qs, 'userTags', userTags);
    const s = qs.toString();
    if (s) url += '?' + s;
  } else {
    const wrapped = {};
    for (const [k, v] of Object.entries(rest)) if (v !== undefined && v !== '' && v !== null) wrapped[k] = v;
    const doc = { [a.bodyKey || 'params']: wrapped };
    if (systemTags?.length) doc.systemTags = systemTags;
    if (userTags?.length) doc.userTags = userTags;
    body = JSON.stringify(doc);
    headers['Content-Type'] = 'application/json';
  }
  let jobUuid;
  if (a.kind === 'async') {
    jobUuid = newJobUuid();
    headers['X-Job-UUID'] = jobUuid;
    opts.onJob?.(jobUuid);
  }
  const res = await fetch(url, { method: a.method, headers, body });
  if (res.status === 202 && a.kind === 'async') {
    const started = await res.json();
    return pollJob(new URL(started.location, location.href).pathname, opts.signal);
  }
  if (!res.ok) return fail(await readError(res));
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

async function pollJob(path, signal) {
  for (;;) {
    if (signal?.aborted) throw new ApiError({ description: 'stopped watching', details: 'the job keeps running on the server' }, 0);
    const res = await fetch(path, { headers: { Authorization: 'OAuth ' + session.uuid }, cache: 'no-store' });
    if (res.status === 200) return res.json();
    if (res.status !== 202) return fail(await readError(res));
    await new Promise((r) => setTimeout(r, JOB_POLL_MS));
  }
}

/** A query API: `conditions` are ZStack query conditions ("name~=a%", "state=Enabled"). */
export async function query(name, conditions = [], extra = {}) {
  const reply = await call(name, { q: conditions, ...extra });
  return reply;
}

export async function login(accountName, passwordDigest) {
  const reply = await call('LogInByAccount', { accountName, password: passwordDigest });
  session.set(reply.inventory.uuid, accountName);
  return reply.inventory;
}

export async function logout() {
  const uuid = session.uuid;
  session.clear();
  if (uuid) {
    try { await call('LogOut', { sessionUuid: uuid }); } catch { /* the session is gone either way */ }
  }
}

/** Progress of a job: the TaskProgressInventory list (job first, then one per transfer). */
export async function progress(jobUuid) {
  try {
    const r = await call('GetTaskProgress', { apiId: jobUuid, all: true });
    return r.inventories ?? [];
  } catch (e) {
    if (e.code === 'SYS.1003') return [];
    throw e;
  }
}
