/**
 * The pages' one way to the hub's API: same-origin fetch with the session cookie, the
 * CSRF token on every state-changing request, and problem+json answers turned into
 * ApiError (code, detail, details) so pages branch on the stable `code`, never on text.
 */
const { fetch, URLSearchParams } = globalThis;

let csrfToken = null;

/** A refused or failed API call: `status` 0 means the hub could not be reached. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem?.code || (status === 0 ? 'NETWORK' : `HTTP_${status}`);
    this.detail = problem?.detail || '';
    this.details = problem?.details || null;
  }

  /** The refusal reason of the access policy, where the hub gave one. */
  get reason() {
    return this.details?.reason || null;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function send(method, path, body) {
  const headers = { accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, { code: 'NETWORK', detail: String(error?.message ?? error) });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text().catch(() => '');
  if (!res.ok) {
    const problem =
      data && typeof data === 'object'
        ? data
        : { detail: typeof data === 'string' ? data.slice(0, 300) : '' };
    throw new ApiError(res.status, problem);
  }
  return data;
}

/**
 * One API call. A CSRF refusal is retried once with a fresh token from /api/auth/me
 * (the token follows the session, which the hub may have rotated).
 */
export async function api(method, path, body) {
  try {
    return await send(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'CSRF_FAILED') throw error;
    await me();
    return send(method, path, body);
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const put = (path, body = {}) => api('PUT', path, body);

/** The current session ({ user, csrfToken, expiresAt }), or null when not logged in. */
export async function me() {
  try {
    const session = await send('GET', '/api/auth/me');
    csrfToken = session?.csrfToken ?? null;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      csrfToken = null;
      return null;
    }
    throw error;
  }
}

export async function login(loginName, password) {
  const session = await send('POST', '/api/auth/login', { login: loginName, password });
  csrfToken = session.csrfToken;
  return session;
}

export async function logout() {
  try {
    await send('POST', '/api/auth/logout', {});
  } finally {
    csrfToken = null;
  }
}

/** A query string from the non-empty values of an object. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Encodes one path segment (ids come from the hub, but never trust them into a URL raw). */
export const seg = (value) => encodeURIComponent(String(value));
