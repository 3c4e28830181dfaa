// 2.10 审计: the unit's audit log with filters (who, action, object, dates, failures only)
// and the export of the filtered entries as CSV.
import { get, qs } from '../api.js';
import { h, clear, field, input, form, table, pager, fmtTime, pageHeader, badge } from '../ui.js';

const day = (s, end) => (s ? Math.floor(new Date(s + (end ? 'T23:59:59' : 'T00:00:00')).getTime() / 1000) : '');

export async function render(main, ctx) {
  const p = ctx.params;
  const q = { actor: p.get('actor'), action: p.get('action'), object: p.get('object'), from: p.get('from'), to: p.get('to'), failures: p.get('failures') === 'true' };
  const go = (o) => { location.hash = '#/audit' + qs({ ...q, ...o }); };
  const r = await get('audit' + qs({ ...q, page: p.get('page') || 1 }));
  const exportCsv = async () => {
    const rows = [['序号', '时间', '操作人', '操作', '对象', '结果', '原因', 'IP']];
    for (let page = 1; ; page++) {
      const x = await get('audit' + qs({ ...q, page }));
      for (const e of x.items) rows.push([e.seq, fmtTime(e.time), e.actor_name || e.actor, e.action, e.object, e.outcome, e.reason || '', e.ip]);
      if (page >= x.pages) break;
    }
    const csv = '\ufeff' + rows.map((r) => r.map((c) => `"${String(c).replace(/"/g, '""')}"`).join(',')).join('\r\n');
    const a = h('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: 'audit.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  };
  const f = form([
    field('操作人', input('actor', { value: q.actor || '' })),
    field('操作', input('action', { value: q.action || '', placeholder: '如 LoginPassword' })),
    field('对象', input('object', { value: q.object || '' })),
    field('开始日期', input('from', { type: 'date' })),
    field('结束日期', input('to', { type: 'date' })),
    field('', h('label', h('input', { type: 'checkbox', name: 'failures', checked: q.failures }), ' 只看失败与拒绝')),
  ], async (v) => go({ ...v, from: day(v.from), to: day(v.to, true), page: 1 }), { submit: '筛选', cls: 'filters' });
  clear(main, pageHeader('审计', h('button.btn#export-audit', { type: 'button', onclick: exportCsv }, '导出 CSV')),
    h('section.panel', f),
    h('section.panel', table([
      ['序号', (e) => String(e.seq)],
      ['时间', (e) => fmtTime(e.time)],
      ['操作人', (e) => e.actor_name || e.actor],
      ['操作', (e) => e.action],
      ['对象', (e) => h('span.mono.small', e.object)],
      ['结果', (e) => badge(e.outcome, /ok|success|allow/i.test(e.outcome) ? 'ok' : 'bad')],
      ['原因', (e) => e.reason || ''],
      ['IP', (e) => e.ip],
    ], r.items, { empty: '没有符合条件的记录' }), pager(r.page, r.pages, (n) => go({ page: n }))));
}
