// Parse an OFD with ofd.js (DLTech21/ofd.js 0.2.6, an independent JavaScript reader) and
// print one JSON line: pages, and per signature its ID, ofd.js's own SES signature
// verification (sm-crypto, signer ID 1234567812345678), its reference digest check, and
// the stamp annotations it found.
// usage: node ofdjs_parse.js OFDJS_MODULE_PATH FILE.ofd
'use strict';
globalThis.window = globalThis;
globalThis.self = globalThis;
globalThis.File = class File {};
globalThis.navigator = { userAgent: 'node' };
// The browser's Image, as far as ofd.js uses it for resources: size from the PNG header.
globalThis.Image = class Image {
  set src(v) {
    this._src = v;
    const b = Buffer.from(String(v).replace(/^data:[^,]*,/, ''), 'base64');
    const png = b.length > 24 && b.readUInt32BE(0) === 0x89504e47;
    this.width = png ? b.readUInt32BE(16) : 0;
    this.height = png ? b.readUInt32BE(20) : 0;
    setTimeout(() => this.onload && this.onload(), 0);
  }
  get src() { return this._src; }
};
globalThis.document = {
  createElement: () => ({ setAttribute() {}, style: {}, appendChild() {}, getContext() { return null; } }),
  getElementsByTagName: () => [],
  head: { appendChild() {} },
  querySelector() { return null; },
  addEventListener() {},
  location: { href: 'http://localhost/', hash: '' },
  currentScript: { src: 'http://localhost/ofd.js' },
};
const fs = require('fs');
const [modPath, file] = process.argv.slice(2);
const log = console.log;
console.log = () => {};
console.error = () => {};
const ofd = require(modPath);
const buf = fs.readFileSync(file);
const done = (obj) => { log(JSON.stringify(obj)); process.exit(0); };
ofd.parseOfdDocument({
  ofd: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
  success(res) {
    const d = res[0];
    const sigs = new Map();
    for (const [pageRef, list] of Object.entries(d.stampAnnot || {})) {
      for (const item of list) {
        const s = item.stamp || {};
        const info = s.signedInfo || {};
        const id = info.signatureID;
        if (!sigs.has(id)) {
          const toCheck = global.toBeChecked && global.toBeChecked.get(id);
          sigs.set(id, {
            id,
            verify: info.VerifyRet === true,
            digest: toCheck ? ofd.digestCheck(toCheck) === true : null,
            provider: info.Provider && info.Provider['@_ProviderName'],
            seal_type: s.sealObj && s.sealObj.type,
            stamps: [],
          });
        }
        const annots = Array.isArray(s.stampAnnot) ? s.stampAnnot : [s.stampAnnot || {}];
        const stamps = sigs.get(id).stamps;
        for (const a of annots.filter((a) => a['@_PageRef'] === pageRef)) {
          if (!stamps.some((x) => x.pageRef === pageRef && x.boundary === a['@_Boundary'])) {
            stamps.push({ pageRef, boundary: a['@_Boundary'], clip: a['@_Clip'] || null });
          }
        }
      }
    }
    done({ ok: true, pages: (d.pages || []).length, signatures: [...sigs.values()] });
  },
  fail(e) { done({ ok: false, error: String(e && (e.stack || e)) }); },
});
setTimeout(() => done({ ok: false, error: 'timeout' }), 30000);
