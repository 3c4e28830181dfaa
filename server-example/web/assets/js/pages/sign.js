// 2.5 文件签署: upload PDFs / OFDs (several in one go), page thumbnails and a large page view,
// seals dragged from the side panel onto the page and moved within it, several seals on
// several pages, the cross-page seal with its slices previewed on the page edges, the QR code,
// then the credential (signing password, SMS code, or the UKey through the agent), progress,
// and each signed file's verification summary and download.
//
// Positions are mm from the page's top-left corner (the API's terms); the page view converts
// with its scale (px per mm).
import { get, post, api, agent, ApiError } from '../api.js';
import { h, clear, field, input, form, toast, pageHeader, badge, dialog, fmtSize } from '../ui.js';

const VERDICT = { valid: ['验证通过', 'ok'], valid_with_warnings: ['验证通过（有提示）', 'warn'], intact_untrusted: ['签章完整，签章人身份未经信任根确认', 'warn'], invalid: ['验证未通过', 'bad'] };
const QR_MM = 20;
// A stamp may be resized within ±25 % of the seal's own size (the server's limit for
// `size_mm`, the stamp's width; the height follows the picture's proportions).
const SCALE_MIN = 0.75;
const SCALE_MAX = 1.25;
const OCCURRENCE = [['all', '全部'], ['first', '第一处'], ['last', '最后一处']];

// One document being prepared: its pages and what goes on them.
function newJob(doc) {
  // keywords: seal id → {text, occurrence, hits}: the seal is stamped where the text is.
  return { doc, page: 1, stamps: [], cross: new Set(), keywords: new Map(), qr: null, outcome: null, error: null };
}

export async function render(main, ctx) {
  const st = {
    jobs: [],
    current: null,
    seals: (await validSeals()).filter((s) => s.kind !== 'PersonalUkey' || s.written_to_ukey),
    session: ctx.session,
  };
  const picker = h('input#upload', { type: 'file', accept: '.pdf,.ofd,application/pdf', multiple: true, class: 'visually-hidden' });
  const ws = h('div.sign-workspace');
  picker.addEventListener('change', async () => {
    for (const f of picker.files) {
      try {
        const d = await api('POST', 'documents?name=' + encodeURIComponent(f.name), f, {
          contentType: f.name.toLowerCase().endsWith('.ofd') ? 'application/ofd' : 'application/pdf',
        });
        st.jobs.push(newJob(d));
        st.current = st.jobs[st.jobs.length - 1];
      } catch (e) {
        toast(`${f.name}：${e.message}`, 'err');
      }
    }
    picker.value = '';
    draw(ws, st);
  });
  clear(main,
    pageHeader('文件签署',
      h('label.btn.primary', { for: 'upload', tabindex: 0, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); picker.click(); } } }, '上传文件（PDF / OFD）'),
      picker),
    ws);
  draw(ws, st);
}

// The valid seals I may use, every page of them (50 a page; at most 500).
async function validSeals() {
  const out = [];
  for (let page = 1; page <= 10; page += 1) {
    const r = await get('seals?status=Valid&page=' + page);
    out.push(...r.items);
    if (page >= (r.pages || 1)) break;
  }
  return out;
}

function draw(ws, st) {
  if (!st.jobs.length) {
    const earlier = h('div.earlier');
    clear(ws, h('div.panel.empty-drop', h('p', '请上传要签署的 PDF 或 OFD 文件，可一次选择多个文件。'),
      h('p.muted', '上传后从右侧拖动印章到页面上，确认后签署。')), earlier);
    // Documents uploaded before and not signed yet (e.g. by another session).
    get('documents').then((docs) => {
      const open = docs.filter((d) => !d.signed && !d.signing);
      if (!open.length) return;
      clear(earlier, h('section.panel', h('h2', '已上传、待签署的文件'), h('ul.doc-list', open.map((d) => h('li',
        h('button.btn.small', { type: 'button', onclick: () => { st.jobs.push(newJob(d)); st.current = st.jobs[st.jobs.length - 1]; draw(ws, st); } }, '签署'),
        ` ${d.name}（${d.format}，${d.pages.length} 页，${fmtSize(d.size)}）`)))));
    }).catch(() => {});
    return;
  }
  const job = st.current;
  const tabs = h('div.doc-tabs', { role: 'tablist' }, st.jobs.map((j) => h('button.doc-tab' + (j === job ? '.active' : ''), {
    type: 'button', role: 'tab', 'aria-selected': j === job, onclick: () => { st.current = j; draw(ws, st); },
  }, j.doc.name, j.outcome ? [' ', badge(VERDICT[j.outcome.verdict]?.[0] || j.outcome.verdict, VERDICT[j.outcome.verdict]?.[1])] : pending(j) ? ` (${pending(j)})` : '')));
  clear(ws, tabs, job.outcome ? resultView(job, st, ws) : editor(job, st, ws));
}

// The server's page preview: a PNG of a PDF page, an SVG of an OFD page's text and paths.
const previewUrl = (d, n, signed) => `/api/v1/documents/${d.id}/pages/${n}/preview${signed ? '?signed=true' : ''}`;

function pageImage(d, n, signed) {
  const p = d.pages[n - 1];
  return h('img.page-img', { src: previewUrl(d, n, signed), alt: `第 ${n} 页`, draggable: false, style: { aspectRatio: `${p.width_mm} / ${p.height_mm}` } });
}

// How many stamps, cross-page seals and keyword placements a job has.
const pending = (j) => j.stamps.length + j.cross.size + j.keywords.size;

// A stamp's size in mm: the seal's own, times the stamp's scale.
function stampSize(seal, s) {
  const k = s.scale || 1;
  return { w: seal.width_mm * k, h: seal.height_mm * k };
}

// The occurrences of GET /documents/{id}/text-search as {page, x, y, w, h} (mm from the
// page's top-left corner, in reading order).
function hitsOf(r) {
  return r.occurrences.map((o) => ({ page: o.page, x: o.x_mm, y: o.y_mm, w: o.width_mm, h: o.height_mm }));
}

// The page test of a keyword's page set as the core parses it (placement::PageSet):
// `all`, `odd`, `even`, `N`, `N-M`, `N-` or `N,M,…`; null when it is not one of those.
function pageTest(spec) {
  const t = (spec || '').trim();
  if (t === '' || t === 'all') return () => true;
  if (t === 'odd') return (p) => p % 2 === 1;
  if (t === 'even') return (p) => p % 2 === 0;
  const num = (x) => (/^\s*[1-9][0-9]*\s*$/.test(x) ? Number(x) : null);
  const dash = t.indexOf('-');
  if (dash >= 0) {
    const a = num(t.slice(0, dash));
    const rest = t.slice(dash + 1).trim();
    const b = rest === '' ? Infinity : num(rest);
    if (a === null || b === null || b < a) return null;
    return (p) => p >= a && p <= b;
  }
  const list = t.split(',').map(num);
  if (list.some((n) => n === null)) return null;
  return (p) => list.includes(p);
}

// Which hits a keyword placement stamps: those on its pages, then by `occurrence`
// (reading order), as the core selects them.
function chosenHits(kw) {
  const test = pageTest(kw.pages) || (() => true);
  const on = kw.hits.filter((x) => test(x.page));
  if (kw.occurrence === 'first') return on.slice(0, 1);
  if (kw.occurrence === 'last') return on.slice(-1);
  return on;
}

// Where a keyword's stamp lands on hit `x` (mm, top-left): its centre on the text's centre
// or end, moved by the offsets (placement::stamp_box).
function keywordStampAt(kw, x, w, hh) {
  const cx = kw.anchor === 'end' ? x.x + x.w : x.x + x.w / 2;
  const cy = x.y + x.h / 2;
  return { x: cx - w / 2 + (kw.dx || 0), y: cy - hh / 2 + (kw.dy || 0) };
}

function editor(job, st, ws) {
  const d = job.doc;
  const pg = d.pages[job.page - 1];
  const sealOf = (id) => st.seals.find((s) => s.id === id);
  const thumbs = h('nav.thumbs', { 'aria-label': '页面缩略图' }, d.pages.map((p) => h('button.thumb' + (p.number === job.page ? '.active' : ''), {
    type: 'button', 'aria-label': `第 ${p.number} 页`, onclick: () => { job.page = p.number; draw(ws, st); },
  }, pageImage(d, p.number), h('span.thumb-no', String(p.number)),
  job.stamps.some((s) => s.page === p.number) || [...job.keywords.values()].some((k) => chosenHits(k).some((x) => x.page === p.number))
    ? h('span.thumb-mark', { title: '本页有印章' }, '●') : null)));

  // The large page with its stamps.
  // The whole page fits the window (--aspect: width / height).
  const sheet = h('div.sheet', { 'data-page': job.page, style: { '--aspect': String(pg.width_mm / pg.height_mm) } }, pageImage(d, job.page));
  const scale = () => sheet.clientWidth / pg.width_mm;        // px per mm
  const place = (el, xmm, ymm, wmm, hmm) => {
    const k = scale();
    Object.assign(el.style, { left: xmm * k + 'px', top: ymm * k + 'px', width: wmm * k + 'px', height: hmm * k + 'px' });
  };
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const overlay = () => {
    // Drawn again when the page image loads or the window resizes: the focused stamp keeps
    // the focus.
    const focused = document.activeElement?.closest?.('.stamp')?.stamp;
    sheet.querySelectorAll('.stamp,.slice,.qr-box,.kw-hit').forEach((e) => e.remove());
    job.stamps.filter((s) => s.page === job.page).forEach((s) => {
      const seal = sealOf(s.seal_id);
      const size = h('span.stamp-size');
      const el = h('div.stamp', { tabindex: 0, role: 'button', 'aria-label': `${seal.name}，方向键移动，+ / - 调整大小，Delete 删除`, 'data-seal': seal.id },
        h('img', { src: seal.picture_url, alt: '', draggable: false }),
        h('button.remove', { type: 'button', 'aria-label': '删除此印章', onclick: (e) => { e.stopPropagation(); job.stamps.splice(job.stamps.indexOf(s), 1); draw(ws, st); } }, '×'),
        h('span.resize', { 'aria-hidden': 'true', title: '拖动调整大小' }), size);
      const show = () => {
        const { w, h: hh } = stampSize(seal, s);
        place(el, s.x_mm, s.y_mm, w, hh);
        size.textContent = `${Math.round(w)}×${Math.round(hh)} mm`;
        el.dataset.scale = String(s.scale || 1);
      };
      show();
      movable(el, sheet, scale, (x, y) => {
        const { w, h: hh } = stampSize(seal, s);
        s.x_mm = clamp(x, 0, pg.width_mm - w);
        s.y_mm = clamp(y, 0, pg.height_mm - hh);
        show();
      }, () => { job.stamps.splice(job.stamps.indexOf(s), 1); draw(ws, st); });
      // Resizing about the stamp's centre, within the limits and the page.
      resizable(el, sheet, scale, seal, () => s.scale || 1, (k) => {
        const old = stampSize(seal, s);
        const fit = Math.min(pg.width_mm / seal.width_mm, pg.height_mm / seal.height_mm);
        s.scale = Math.round(clamp(k, SCALE_MIN, Math.min(SCALE_MAX, fit)) * 100) / 100;
        const now = stampSize(seal, s);
        s.x_mm = clamp(s.x_mm + (old.w - now.w) / 2, 0, pg.width_mm - now.w);
        s.y_mm = clamp(s.y_mm + (old.h - now.h) / 2, 0, pg.height_mm - now.h);
        show();
      });
      el.stamp = s;
      sheet.append(el);
      if (s === focused) el.focus();
    });
    // Keyword placements: the occurrences found, and where the seal will land (centred).
    for (const [id, kw] of job.keywords) {
      const seal = sealOf(id);
      const chosen = chosenHits(kw);
      kw.hits.filter((x) => x.page === job.page).forEach((x) => {
        const used = chosen.includes(x);
        const hl = h('div.kw-hit' + (used ? '.used' : ''), { title: `“${kw.text}”${used ? `：在此盖 ${seal.name}` : ''}` });
        place(hl, x.x, x.y, x.w, x.h);
        sheet.append(hl);
        if (used) {
          const { w, h: hh } = stampSize(seal, kw);
          const g = h('div.kw-hit.kw-stamp', h('img', { src: seal.picture_url, alt: '' }));
          const at = keywordStampAt(kw, x, w, hh);
          place(g, at.x, at.y, w, hh);
          sheet.append(g);
        }
      });
    }
    // Cross-page seals: the slice this page carries on its right edge (pages share the seal).
    const n = d.pages.length;
    [...job.cross].forEach((id, i) => {
      const seal = sealOf(id);
      const w = seal.width_mm / n;
      const el = h('div.slice', { title: `${seal.name}（骑缝章，第 ${job.page}/${n} 片）` },
        h('img', { src: seal.picture_url, alt: '', style: { width: seal.width_mm * scale() + 'px', marginLeft: -(job.page - 1) * w * scale() + 'px' } }));
      place(el, pg.width_mm - w, (pg.height_mm - seal.height_mm) / 2 + i * (seal.height_mm + 4), w, seal.height_mm);
      sheet.append(el);
    });
    if (job.qr && job.qr.page === job.page) {
      const el = h('div.qr-box', { tabindex: 0, role: 'button', 'aria-label': '验证二维码位置，方向键移动' }, '二维码');
      place(el, job.qr.x_mm, job.qr.y_mm, QR_MM, QR_MM);
      movable(el, sheet, scale, (x, y) => {
        job.qr.x_mm = clamp(x, 0, pg.width_mm - QR_MM);
        job.qr.y_mm = clamp(y, 0, pg.height_mm - QR_MM);
        place(el, job.qr.x_mm, job.qr.y_mm, QR_MM, QR_MM);
      });
      sheet.append(el);
    }
  };
  new ResizeObserver(overlay).observe(sheet);
  sheet.querySelector('img')?.addEventListener('load', overlay);

  // Seals panel: drag a seal onto the page (pointer events; Enter puts it in the middle).
  const drop = (seal, clientX, clientY) => {
    const r = sheet.getBoundingClientRect();
    if (clientX < r.left || clientX > r.right || clientY < r.top || clientY > r.bottom) return false;
    const k = scale();
    job.stamps.push({
      seal_id: seal.id, page: job.page, scale: 1,
      x_mm: clamp((clientX - r.left) / k - seal.width_mm / 2, 0, pg.width_mm - seal.width_mm),
      y_mm: clamp((clientY - r.top) / k - seal.height_mm / 2, 0, pg.height_mm - seal.height_mm),
    });
    draw(ws, st);
    return true;
  };
  // Many seals: a filter by name above the list.
  const filter = st.seals.length > 8 ? h('input.seal-filter', { type: 'search', placeholder: '按名称筛选印章', 'aria-label': '筛选印章', value: st.sealFilter || '', oninput: (e) => {
    st.sealFilter = e.target.value.trim();
    panel.querySelectorAll('.seal-item').forEach((it) => { it.hidden = !!st.sealFilter && !it.dataset.name.includes(st.sealFilter); });
  } }) : null;
  const panel = h('aside.seal-panel', { 'aria-label': '可用印章' }, h('h2', '我的印章'), filter,
    st.seals.length ? st.seals.map((seal) => {
      const card = h('div.seal-drag', { tabindex: 0, role: 'button', 'data-seal': seal.id, 'aria-label': `${seal.name}：拖到页面上盖章，或按回车盖在页面中央` },
        h('img', { src: seal.picture_url, alt: '', draggable: false }),
        h('div', h('div.seal-name', seal.name), h('div.muted', seal.kind === 'Cloud' ? '云端印章' : 'UKey 印章')));
      dragNew(card, seal, drop);
      card.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        const r = sheet.getBoundingClientRect();
        drop(seal, r.left + r.width / 2, r.top + r.height / 2);
      });
      const cross = h('label.cross', h('input', { type: 'checkbox', name: 'cross-' + seal.id, checked: job.cross.has(seal.id), disabled: d.pages.length < 2, onchange: (e) => {
        if (e.target.checked) job.cross.add(seal.id); else job.cross.delete(seal.id);
        draw(ws, st);
      } }), ' 骑缝章');
      return h('div.seal-item', { 'data-name': seal.name, hidden: !!st.sealFilter && !seal.name.includes(st.sealFilter) }, card, cross);
    }) : h('p.muted', '没有可用的有效印章（请先申请印章，或请印章管理员将您设为使用人）'),
    keywordPanel(job, st, ws),
    h('h2', '防伪二维码'),
    h('label.cross', h('input', { type: 'checkbox', name: 'qr', checked: !!job.qr, onchange: (e) => {
      job.qr = e.target.checked ? { page: job.page, x_mm: 15, y_mm: pg.height_mm - QR_MM - 15 } : null;
      draw(ws, st);
    } }), ' 添加验证二维码'),
    h('p.hint', '扫码可打开本文件的公开验证页。'));

  const kwStamps = [...job.keywords.values()].reduce((n, k) => n + chosenHits(k).length, 0);
  const bar = h('div.sign-bar',
    h('span', `已放置 ${job.stamps.length} 个印章`, job.cross.size ? `，${job.cross.size} 个骑缝章` : '', kwStamps ? `，关键字处 ${kwStamps} 个` : '', job.qr ? '，二维码' : ''),
    h('button.btn', { type: 'button', disabled: !pending(job), onclick: () => { job.stamps = []; job.cross.clear(); job.keywords.clear(); job.qr = null; draw(ws, st); } }, '清除'),
    h('button.btn.primary#sign-now', { type: 'button', disabled: !st.jobs.some((j) => !j.outcome && pending(j)), onclick: () => confirmSign(st, ws) },
      st.jobs.filter((j) => !j.outcome && pending(j)).length > 1 ? '签署全部文件' : '确认签署'));
  return h('div.sign-editor',
    thumbs,
    h('div.sheet-wrap', h('div.sheet-title', `${d.name} · 第 ${job.page} / ${d.pages.length} 页 · ${fmtSize(d.size)}`), sheet, bar),
    panel);
}

// Dragging a new stamp from the panel: a ghost follows the pointer; dropped on the page it
// becomes a stamp there.
function dragNew(card, seal, drop) {
  card.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    const img = card.querySelector('img');
    const ghost = h('img.drag-ghost', { src: img.src, alt: '' });
    document.body.append(ghost);
    const move = (ev) => { ghost.style.left = ev.clientX - 40 + 'px'; ghost.style.top = ev.clientY - 40 + 'px'; };
    move(e);
    const up = (ev) => {
      document.removeEventListener('pointermove', move);
      document.removeEventListener('pointerup', up);
      ghost.remove();
      drop(seal, ev.clientX, ev.clientY);
    };
    document.addEventListener('pointermove', move);
    document.addEventListener('pointerup', up);
  });
}

// Moving a placed element with the pointer or the arrow keys (1 mm, 5 mm with Shift).
function movable(el, sheet, scale, moveTo, remove) {
  el.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 || e.target.closest('.remove')) return;
    e.preventDefault();
    const r = sheet.getBoundingClientRect();
    const k = scale();
    const ox = e.clientX - el.offsetLeft - r.left;
    const oy = e.clientY - el.offsetTop - r.top;
    el.classList.add('moving');
    const mv = (ev) => moveTo((ev.clientX - r.left - ox) / k, (ev.clientY - r.top - oy) / k);
    const up = () => {
      el.classList.remove('moving');
      document.removeEventListener('pointermove', mv);
      document.removeEventListener('pointerup', up);
    };
    document.addEventListener('pointermove', mv);
    document.addEventListener('pointerup', up);
  });
  el.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? 5 : 1;
    const k = scale();
    const x = el.offsetLeft / k;
    const y = el.offsetTop / k;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    if (d) { e.preventDefault(); moveTo(x + d[0], y + d[1]); } else if ((e.key === 'Delete' || e.key === 'Backspace') && remove) { e.preventDefault(); remove(); }
  });
}

// Resizing a stamp: the corner handle with the pointer (proportional), or + / - on the
// focused stamp (5 %). `set(scale)` applies the limits.
function resizable(el, sheet, scale, seal, current, set) {
  el.querySelector('.resize').addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    const k = scale();
    const x0 = e.clientX;
    const s0 = current();
    el.classList.add('moving');
    const mv = (ev) => set(s0 + (ev.clientX - x0) / k / seal.width_mm);
    const up = () => {
      el.classList.remove('moving');
      document.removeEventListener('pointermove', mv);
      document.removeEventListener('pointerup', up);
    };
    document.addEventListener('pointermove', mv);
    document.addEventListener('pointerup', up);
  });
  el.addEventListener('keydown', (e) => {
    const d = { '+': 0.05, '=': 0.05, '-': -0.05, _: -0.05 }[e.key];
    if (d) { e.preventDefault(); set(current() + d); }
  });
}

// 关键字盖章: a seal stamped wherever a text is found (e.g. “甲方（盖章）”); the
// occurrences are shown on the pages before signing.
function keywordPanel(job, st, ws) {
  const text = h('input', { name: 'keyword', type: 'text', maxlength: 50, placeholder: '如：甲方（盖章）' });
  const sealSel = h('select', { name: 'keyword-seal' }, st.seals.map((s) => h('option', { value: s.id }, s.name)));
  const occ = h('select', { name: 'keyword-occurrence' }, OCCURRENCE.map(([v, t]) => h('option', { value: v }, t)));
  const size = h('select', { name: 'keyword-scale' }, [0.75, 0.9, 1, 1.1, 1.25].map((k) => h('option', { value: k, selected: k === 1 }, k === 1 ? '原大小' : `${Math.round(k * 100)}%`)));
  const anchor = h('select', { name: 'keyword-anchor' }, [['center', '关键字中央'], ['end', '关键字末尾']].map(([v, t]) => h('option', { value: v }, t)));
  const pages = h('input', { name: 'keyword-pages', type: 'text', value: 'all', maxlength: 40, placeholder: 'all / odd / even / 2-3 / 1,4' });
  const offset = (name, label) => h('input', { name, type: 'number', value: 0, step: 1, min: -500, max: 500, 'aria-label': label });
  const dx = offset('keyword-dx', '向右偏移（毫米）');
  const dy = offset('keyword-dy', '向下偏移（毫米）');
  const msg = h('div.kw-msg', { role: 'status' });
  const err = h('div.error', { role: 'alert' });
  const find = async () => {
    err.textContent = '';
    const q = text.value.trim();
    if (!q) { err.textContent = '请输入关键字'; text.focus(); return; }
    if (!pageTest(pages.value)) { err.textContent = `页码“${pages.value}”无效（all、odd、even、2-3 或 1,4）`; pages.focus(); return; }
    const [ox, oy] = [Number(dx.value), Number(dy.value)];
    if (![ox, oy].every((v) => Number.isFinite(v) && Math.abs(v) <= 500)) { err.textContent = '偏移须在 ±500 毫米以内'; dx.focus(); return; }
    let hits;
    try {
      hits = hitsOf(await get(`documents/${job.doc.id}/text-search?q=${encodeURIComponent(q)}`));
    } catch (e) {
      err.textContent = e.message;
      return;
    }
    if (!hits.length) { err.textContent = `文件中没有找到“${q}”`; text.focus(); return; }
    const kw = { text: q, occurrence: occ.value, scale: Number(size.value), hits, anchor: anchor.value, pages: pages.value.trim() || 'all', dx: ox, dy: oy };
    if (!chosenHits(kw).length) { err.textContent = `第 ${kw.pages} 页没有“${q}”`; pages.focus(); return; }
    job.keywords.set(sealSel.value, kw);
    const first = chosenHits(job.keywords.get(sealSel.value))[0];
    if (first) job.page = first.page;
    draw(ws, st);
  };
  text.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
  const list = [...job.keywords].map(([id, k]) => {
    const seal = st.seals.find((s) => s.id === id);
    const n = chosenHits(k).length;
    return h('li', `“${k.text}” · ${seal?.name || id} · ${n} 处（共找到 ${k.hits.length} 处，第 ${[...new Set(chosenHits(k).map((x) => x.page))].join('、')} 页）`,
      h('button.btn.small.ghost', { type: 'button', 'aria-label': `取消“${k.text}”处盖章`, onclick: () => { job.keywords.delete(id); draw(ws, st); } }, '取消'));
  });
  return h('div.kw-panel',
    h('h2', '关键字盖章'),
    h('label', { for: 'kw-text' }, '关键字'), Object.assign(text, { id: 'kw-text' }), err,
    h('label', { for: 'kw-seal' }, '印章'), Object.assign(sealSel, { id: 'kw-seal' }),
    h('label', { for: 'kw-occ' }, '盖在'), Object.assign(occ, { id: 'kw-occ' }),
    h('label', { for: 'kw-size' }, '印章大小'), Object.assign(size, { id: 'kw-size' }),
    h('label', { for: 'kw-anchor' }, '对齐'), Object.assign(anchor, { id: 'kw-anchor' }),
    h('label', { for: 'kw-pages' }, '页码范围'), Object.assign(pages, { id: 'kw-pages' }),
    h('label', { for: 'kw-dx' }, '偏移（毫米，右 / 下）'), h('div.kw-offset', Object.assign(dx, { id: 'kw-dx' }), Object.assign(dy, { id: 'kw-dy' })),
    h('button.btn.small#kw-find', { type: 'button', onclick: find, disabled: !st.seals.length }, '查找并盖章'),
    msg,
    list.length ? h('ul.kw-list', list) : null);
}

// The request for one job's seals of one kind.
function sealUses(job, st, pick) {
  const ids = [...new Set([...job.stamps.map((s) => s.seal_id), ...job.cross, ...job.keywords.keys()])].filter((id) => pick(st.seals.find((s) => s.id === id)));
  const r2 = (v) => Math.round(v * 100) / 100;
  return ids.map((id) => {
    const seal = st.seals.find((s) => s.id === id);
    const kw = job.keywords.get(id);
    const use = {
      seal_id: id,
      stamps: job.stamps.filter((s) => s.seal_id === id).map((s) => {
        const stamp = { page: s.page, x_mm: r2(s.x_mm), y_mm: r2(s.y_mm) };
        // The seal's own size unless resized.
        if ((s.scale || 1) !== 1) stamp.size_mm = r2(stampSize(seal, s).w);
        return stamp;
      }),
      cross_page: job.cross.has(id),
    };
    if (kw) {
      use.keyword = { text: kw.text, occurrence: kw.occurrence, pages: kw.pages, anchor: kw.anchor, offset_mm: { dx: kw.dx, dy: kw.dy } };
      if (kw.scale !== 1) use.keyword.size_mm = r2(stampSize(seal, kw).w);
    }
    return use;
  });
}

function confirmSign(st, ws) {
  const todo = st.jobs.filter((j) => !j.outcome && pending(j));
  const isCloud = (s) => s && s.kind === 'Cloud';
  const needCloud = todo.some((j) => sealUses(j, st, isCloud).length);
  const needUkey = todo.some((j) => sealUses(j, st, (s) => s && !isCloud(s)).length);
  const viaUkey = st.session.via_ukey;
  const codeBtn = h('button.btn', { type: 'button', onclick: async () => {
    try { await post('me/sms-code', { purpose: 'sign' }); toast('验证码已发送'); } catch (e) { toast(e.message, 'err'); }
  } }, '获取验证码');
  const progress = h('div.progress.hidden', { role: 'status' }, h('div.bar', h('div.fill')), h('div.progress-text'));
  const setProgress = (i, n, text) => {
    progress.classList.remove('hidden');
    progress.querySelector('.fill').style.width = Math.round((i / n) * 100) + '%';
    progress.querySelector('.progress-text').textContent = text;
  };
  const f = form([
    h('p', `将签署 ${todo.length} 个文件：`, todo.map((j) => j.doc.name).join('、')),
    needCloud && !viaUkey ? h('fieldset.kind', h('legend', '签署验证方式'),
      h('label', h('input', { type: 'radio', name: 'method', value: 'signing_password', checked: true }), ' 签署密码'),
      h('label', h('input', { type: 'radio', name: 'method', value: 'sms_code' }), ' 短信验证码')) : null,
    needCloud && !viaUkey ? field('签署密码 / 短信验证码', h('div.code-row', input('value', { type: 'password', inputmode: 'numeric', maxlength: 6, autocomplete: 'off' }), codeBtn), { required: true }) : null,
    needCloud && viaUkey ? h('p.muted', '云端印章以当前 UKey 登录身份签署。') : null,
    needUkey ? field('UKey 密码', input('pin', { type: 'password', autocomplete: 'off' }), { required: true, hint: 'UKey 印章在 UKey 中签名（证书助手）' }) : null,
    progress,
  ], async (v) => {
    let n = 0;
    const total = todo.length;
    for (const job of todo) {
      setProgress(n, total, `正在签署 ${job.doc.name}（${n + 1}/${total}）…`);
      try {
        job.outcome = await signJob(job, st, v, (t) => setProgress(n + 0.5, total, `${job.doc.name}：${t}`));
      } catch (e) {
        if (e.field) e.field = e.field.startsWith('credential') ? 'value' : e.field;
        progress.classList.add('hidden');
        throw e;
      }
      n += 1;
    }
    setProgress(total, total, '签署完成');
    dlg.close();
    toast(`已签署 ${total} 个文件`);
    st.current = todo[0];
    draw(ws, st);
  }, { submit: '签署', cls: 'sign-confirm' });
  const dlg = dialog('确认签署', f);
}

async function signJob(job, st, v, step) {
  const d = job.doc;
  const cloud = sealUses(job, st, (s) => s && s.kind === 'Cloud');
  const ukey = sealUses(job, st, (s) => s && s.kind !== 'Cloud');
  const qr = job.qr ? { page: job.qr.page, x_mm: Math.round(job.qr.x_mm * 100) / 100, y_mm: Math.round(job.qr.y_mm * 100) / 100, size_mm: QR_MM } : null;
  let outcome = null;
  if (cloud.length) {
    step('云端印章签署中');
    const credential = st.session.via_ukey ? { kind: 'ukey' } : { kind: v.method || 'signing_password', value: v.value };
    outcome = await post(`documents/${d.id}/sign`, { seals: cloud, qr, credential });
  }
  if (ukey.length) {
    step('读取 UKey 证书');
    const id = await agent.call('GET', '/v1/identity');
    let r = { pending: await post(`documents/${d.id}/sign/prepare`, { seals: ukey, qr: cloud.length ? null : qr, certificate: id.certificate }) };
    while (r.pending) {
      const p = r.pending;
      step(`UKey 签名 ${p.signatures_done + 1}/${p.signatures_total}`);
      const s = await agent.call('POST', '/v1/sign', { pin: v.pin, digest: p.digest });
      r = await post(`signings/${p.signing_id}`, { signature: s.signature });
    }
    outcome = r.outcome;
  }
  job.doc = await get('documents/' + d.id);
  return outcome;
}

function resultView(job, st, ws) {
  const o = job.outcome;
  const [text, kind] = VERDICT[o.verdict] || [o.verdict, 'warn'];
  const d = job.doc;
  return h('div.sign-result',
    h('section.panel.result-summary',
      h('h2', '签署完成 ', badge(text, kind)),
      h('dl.info',
        h('dt', '文件'), h('dd', d.name),
        h('dt', '签名数'), h('dd', String(o.signatures)),
        h('dt', '文件大小'), h('dd', fmtSize(o.size)),
        h('dt', 'SM3'), h('dd.mono', o.sm3),
        h('dt', '验证地址'), h('dd', h('a', { href: o.verify_url, target: '_blank', rel: 'noopener' }, o.verify_url))),
      h('div.actions.left',
        h('a.btn.primary#download-signed', { href: `/api/v1/documents/${d.id}/signed`, download: d.name.replace(/(\.[^.]+)$/, '.signed$1') }, '下载已签文件'),
        h('a.btn', { href: `/api/v1/documents/${d.id}/report`, target: '_blank', rel: 'noopener' }, '验证报告'),
        h('a.btn', { href: `/api/v1/documents/${d.id}/report.pdf`, target: '_blank', rel: 'noopener' }, '验证报告（PDF）'))),
    h('section.panel', h('h2', '已签文件预览'), h('div.signed-pages', d.pages.map((p) => h('figure', pageImage(d, p.number, true), h('figcaption', `第 ${p.number} 页`))))));
}
