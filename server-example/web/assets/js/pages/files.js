// 2.6 文件管理: signed files with thumbnails, search, details, download, verify, delete.
import { get, del, qs } from '../api.js';
import { h, clear, field, input, form, toast, table, pager, fmtTime, fmtSize, pageHeader, confirmBox, dialog } from '../ui.js';

export async function render(main, ctx) {
  const p = ctx.params;
  const go = (o) => { location.hash = '#/files' + qs({ q: p.get('q'), ...o }); };
  const r = await get('files' + qs({ q: p.get('q'), page: p.get('page') || 1 }));
  const details = async (f) => {
    const x = await get('files/' + f.id);
    dialog('文件详情', h('dl.info',
      h('dt', '文件名'), h('dd', x.name), h('dt', '格式'), h('dd', x.format), h('dt', '页数'), h('dd', String(x.pages)),
      h('dt', '大小'), h('dd', fmtSize(x.size)), h('dt', '签署人'), h('dd', x.signer_name),
      h('dt', '印章'), h('dd', x.seals.join('、')), h('dt', '签署时间'), h('dd', fmtTime(x.time))));
  };
  clear(main, pageHeader('文件管理'),
    h('section.panel', form([field('搜索', input('q', { value: p.get('q') || '', placeholder: '文件名或签署人' }))],
      async (v) => go({ q: v.q, page: 1 }), { submit: '搜索', cls: 'filters' })),
    h('section.panel', table([
      ['', (f) => f.thumbnail_url ? h('img.file-thumb', { src: f.thumbnail_url, alt: '', loading: 'lazy' }) : h('div.file-thumb.ofd', f.format)],
      ['文件名', (f) => f.name],
      ['签署人', (f) => f.signer_name],
      ['印章', (f) => f.seals.join('、')],
      ['页数', (f) => String(f.pages)],
      ['签署时间', (f) => fmtTime(f.time)],
      ['操作', (f) => [
        h('button.btn.small', { type: 'button', onclick: () => details(f) }, '详情'), ' ',
        f.document ? h('a.btn.small', { href: `/api/v1/documents/${f.document}/signed`, download: f.name }, '下载') : null, ' ',
        f.document ? h('a.btn.small', { href: `/api/v1/documents/${f.document}/report`, target: '_blank', rel: 'noopener' }, '验证') : null, ' ',
        h('button.btn.small.danger', { type: 'button', onclick: async () => {
          if (!await confirmBox('删除文件', `删除“${f.name}”的记录？`, { danger: true })) return;
          await del('files/' + f.id); toast('已删除'); render(main, ctx);
        } }, '删除')]],
    ], r.items, { empty: '暂无已签署文件' }), pager(r.page, r.pages, (n) => go({ page: n }))));
}
