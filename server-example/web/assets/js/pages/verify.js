// 2.7 文件验签: upload a PDF or OFD, get the report (every signature: signer, seal, time,
// integrity, certificate chain, warnings). The public page behind the QR code is the
// server's /verify/{id}.
import { api } from '../api.js';
import { h, clear, pageHeader, badge, fmtSize } from '../ui.js';

const CHECK_ZH = { passed: '通过', failed: '未通过', warning: '提示', untrusted: '未经信任', indeterminate: '无法判断', skipped: '未检查' };
const CHECK_KIND = { passed: 'ok', failed: 'bad', warning: 'warn', untrusted: 'warn', indeterminate: 'bad', skipped: '' };
const FIELD_ZH = { 'seal.name': '印章名称', 'seal.es_id': '印章编码', signer: '签章者', 'signer.subject': '签章者证书', time: '签章时间', sign_time: '签章时间', page: '页码', kind: '类型' };
const VERDICT = { valid: ['验证通过', 'ok'], valid_with_warnings: ['验证通过（有提示）', 'warn'], intact_untrusted: ['签章完整，签章人身份未经信任根确认', 'warn'], invalid: ['验证未通过', 'bad'] };

export function reportView(name, r) {
  const [text, kind] = VERDICT[r.verdict] || [r.verdict, 'warn'];
  const sigs = r.signatures || [];
  return h('section.panel.report', { 'data-verdict': r.verdict },
    h('h2', '验证结果：', badge(text, kind)),
    h('p', `${name} · ${sigs.length} 个签名`),
    sigs.map((s, i) => {
      const { checks = [], ...rest } = s;
      const f = flat(rest);
      const key = ['seal.name', 'seal.es_id', 'signer', 'signer.subject', 'time', 'sign_time', 'page', 'kind'].filter((k) => f[k]);
      return h('div.sig-card',
        h('h3', `签名 ${i + 1}`, f['seal.name'] ? ' · ' + f['seal.name'] : ''),
        h('dl.info', key.map((k) => [h('dt', FIELD_ZH[k] || k), h('dd', f[k])])),
        checks.length ? h('table.table.checks',
          h('thead', h('tr', h('th', '检查项'), h('th', '结果'), h('th', '说明'))),
          h('tbody', checks.map((c) => h('tr',
            h('td', c.check), h('td', badge(CHECK_ZH[c.status] || c.status, CHECK_KIND[c.status] || 'warn')),
            h('td', c.message_zh || c.message, c.subject ? h('div.muted.small', c.subject) : null))))) : null,
        h('details', h('summary', '全部字段'), h('dl.info', Object.entries(f).map(([k, v]) => [h('dt', k), h('dd', v)]))));
    }),
    (r.warnings || []).length ? h('div', h('h3', '提示'), h('ul', r.warnings.map((w) => h('li', typeof w === 'string' ? w : JSON.stringify(w))))) : null,
    h('details', h('summary', '完整报告（JSON）'), h('pre.code', JSON.stringify(r, null, 2))));
}

// Scalars of a nested object as "a.b" → value, for the report's detail table.
function flat(o, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(o || {})) {
    const key = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flat(v, key, out);
    else if (Array.isArray(v)) out[key] = v.map((x) => typeof x === 'object' ? JSON.stringify(x) : String(x)).join('；') || '—';
    else out[key] = v === null || v === undefined ? '—' : String(v);
  }
  return out;
}

export async function render(main) {
  const out = h('div.verify-out');
  const picker = h('input#verify-file', { type: 'file', accept: '.pdf,.ofd', class: 'visually-hidden' });
  const status = h('p.muted', { role: 'status' });
  picker.addEventListener('change', async () => {
    const f = picker.files[0];
    if (!f) return;
    status.textContent = `正在验证 ${f.name}（${fmtSize(f.size)}）…`;
    clear(out);
    try {
      const r = await api('POST', 'verify?name=' + encodeURIComponent(f.name), f, { contentType: f.name.toLowerCase().endsWith('.ofd') ? 'application/ofd' : 'application/pdf' });
      status.textContent = '';
      clear(out, reportView(f.name, r));
    } catch (e) {
      status.textContent = '';
      clear(out, h('div.panel.error-panel', { role: 'alert' }, e.message));
    }
    picker.value = '';
  });
  clear(main, pageHeader('文件验签'),
    h('section.panel.drop',
      h('p', '上传已签章的 PDF 或 OFD 文件，验证签章是否有效、文件是否被篡改。'),
      h('label.btn.primary', { for: 'verify-file', tabindex: 0, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.click(); } } }, '选择文件验证'),
      picker, status),
    out);
}
