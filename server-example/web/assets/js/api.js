// The platform's HTTP API (/api/v1) as the portal uses it: the session cookie set at sign-in,
// the CSRF token of the session on every state-changing request, and RFC 9457 problems
// turned into ApiError (code, field, message_zh) so forms can show them next to the field.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.message_zh || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || 'http_' + status;
    this.field = problem.field || null;
    this.problem = problem;
  }
}

let csrf = null;
export function setCsrf(token) { csrf = token; }

async function problemOf(r) {
  const ct = r.headers.get('content-type') || '';
  if (ct.includes('json')) {
    try { return await r.json(); } catch { /* not JSON after all */ }
  }
  return { title: `HTTP ${r.status}`, message_zh: `请求失败（${r.status}）` };
}

// One request. `body`: an object (sent as JSON), a Blob/File (sent as is), or nothing.
export async function api(method, path, body, { contentType, raw } = {}) {
  const headers = {};
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = contentType || body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path.startsWith('/') ? path : '/api/v1/' + path, {
    method, headers, body: payload, credentials: 'same-origin',
  });
  if (!r.ok) throw new ApiError(r.status, await problemOf(r));
  if (raw) return r;
  if (r.status === 204) return null;
  const ct = r.headers.get('content-type') || '';
  return ct.includes('json') ? r.json() : r.text();
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);

// Query string from an object, leaving out empty values.
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined && v !== false) p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

// The local agent (证书助手, `eseal agent` on 127.0.0.1): it reaches the UKey. Its address
// and per-session secret are kept in this browser (localStorage).
export const agent = {
  settings() {
    return {
      url: localStorage.getItem('eseal.agent.url') || 'http://127.0.0.1:18590',
      secret: localStorage.getItem('eseal.agent.secret') || '',
    };
  },
  save(url, secret) {
    localStorage.setItem('eseal.agent.url', url);
    localStorage.setItem('eseal.agent.secret', secret);
  },
  async call(method, path, body) {
    const { url, secret } = this.settings();
    let r;
    try {
      r = await fetch(url + path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-Eseal-Session': secret },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new AgentError('agent_unreachable', '未检测到证书助手：请先启动证书助手（eseal agent）并插入 UKey');
    }
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new AgentError(j.error || 'agent_error', agentMessage(j));
    return j;
  },
};

export class AgentError extends Error {
  constructor(code, message) { super(message); this.code = code; this.field = 'pin'; }
}

function agentMessage(j) {
  switch (j.error) {
    case 'session_refused': return '证书助手拒绝了请求：会话密钥不正确（见“证书助手设置”）';
    case 'origin_refused': return '证书助手不接受本站点的请求（启动时的 --portal-origin 与本站地址不一致）';
    case 'pin_incorrect': return `UKey 密码错误，还可尝试 ${j.retries_left ?? '?'} 次`;
    case 'pin_locked': return 'UKey 密码已锁定，请联系管理员解锁';
    case 'pin_invalid': return 'UKey 密码格式不正确';
    case 'no_key': return '未检测到 UKey，请插入 UKey';
    default: return '证书助手：' + (j.message || j.error || '未知错误');
  }
}
