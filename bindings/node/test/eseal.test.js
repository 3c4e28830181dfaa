// The Node binding: seals, signers, signing and verification through the Rust core.
'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const eseal = require(process.env.ESEAL_NODE_PACKAGE || '..')

const REPO = path.resolve(__dirname, '..', '..', '..')
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm"><circle cx="20" cy="20" r="18" fill="none" stroke="red"/></svg>')
const DATA = Buffer.from('eseal from Node: the protected data')
const ca = new eseal.TestCa('xlang')
const person = ca.signer('person')
const seal = eseal.Seal.createSync(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000044', picture: SVG, signerCerts: [person.certificatePem] })
const trust = [ca.rootCertPem]

test('a seal is made, read back and described', () => {
  assert.equal(seal.version, 'v4')
  assert.equal(seal.name, '上海市测试局')
  assert.equal(seal.esId, '310000000000044')
  assert.deepEqual(seal.picture, SVG)
  const again = new eseal.Seal(seal.toBuffer())
  assert.equal(again.esId, seal.esId)
  const info = again.info()
  assert.equal(info.es_id, '310000000000044')
  assert.equal(info.maker.subject, ca.signer('unit').subject)
})

test('signData resolves to a signature that verifies; changed data does not', async () => {
  const sig = await eseal.signData(seal, person, DATA, { propertyInfo: '/node/data.txt' })
  assert.ok(Buffer.isBuffer(sig))
  const report = await eseal.verifySignature(sig, { data: DATA, trust, strict: true })
  assert.equal(report.verdict, 'valid', JSON.stringify(report, null, 1))
  assert.equal(report.exit_code, 0)
  const kinds = new Set(report.signatures[0].checks.map((c) => c.check))
  for (const k of ['data_digest', 'signer_signature', 'maker_signature', 'signer_binding']) assert.ok(kinds.has(k), k)
  const changed = await eseal.verifySignature(sig, { data: Buffer.concat([DATA, Buffer.from('!')]), trust })
  assert.equal(changed.verdict, 'invalid')
  assert.deepEqual(changed.signatures[0].checks.filter((c) => c.status === 'failed').map((c) => c.check), ['data_digest'])
  const loose = await eseal.verifySignature(sig, { data: DATA })
  // Without trust anchors: intact, signer not trusted (exit 3), strict or not.
  assert.equal(loose.verdict, 'intact_untrusted')
  assert.equal(loose.exit_code, 3)
  assert.equal(loose.signatures[0].verdict, 'intact_untrusted')
  assert.equal((await eseal.verifySignature(sig, { data: DATA, strict: true })).exit_code, 3)
})

test('signDigest puts the digest in dataHash', async () => {
  const digest = Buffer.alloc(32, 7)
  const sig = await eseal.signDigest(seal, person, digest)
  assert.equal((await eseal.verifySignature(sig, { digest, trust })).verdict, 'valid')
  assert.equal((await eseal.verifySignature(sig, { digest: Buffer.alloc(32), trust })).verdict, 'invalid')
})

test('a software signer from PEM files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-node-'))
  fs.writeFileSync(path.join(dir, 'k.pem'), ca.keyPem('person'))
  fs.writeFileSync(path.join(dir, 'c.pem'), ca.certPem('person'))
  const s = eseal.Signer.fromPem(path.join(dir, 'k.pem'), fs.readFileSync(path.join(dir, 'c.pem')))
  assert.equal(s.certificatePem, ca.certPem('person'))
  const sig = await eseal.signData(seal, s, DATA)
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trust })).verdict, 'valid')
  assert.throws(() => eseal.Signer.fromPem(ca.keyPem('unit'), ca.certPem('person')), { code: 'ESEAL_INVALID_INPUT', message: /does not belong/ })
  fs.rmSync(dir, { recursive: true })
})

test('errors carry a code and the core message', async () => {
  assert.throws(() => new eseal.Seal(Buffer.from('junk')), (e) => e instanceof Error && e.code === 'ESEAL_INVALID_INPUT' && /truncated/.test(e.message))
  assert.throws(() => new eseal.Seal('/nonexistent/seal.esl'), { code: 'ESEAL_IO' })
  assert.throws(() => ca.signer('nobody'), { code: 'ESEAL_INVALID_INPUT' })
  await assert.rejects(eseal.signData(seal, ca.signer('unit'), DATA), { code: 'ESEAL_SEAL_UNUSABLE', message: /certList/ })
  await assert.rejects(eseal.signData(seal, person, DATA, { time: '2001-01-01T00:00:00Z' }), { code: 'ESEAL_SEAL_UNUSABLE' })
  await assert.rejects(eseal.signData(seal, person, DATA, { time: 'yesterday-ish' }), { code: 'ESEAL_INVALID_INPUT' })
  await assert.rejects(eseal.verifySignature(Buffer.from('x'), { data: DATA, digest: DATA }), { code: 'ESEAL_INVALID_INPUT' })
  const junk = await eseal.verifySignature(Buffer.from('junk'))
  assert.equal(junk.verdict, 'invalid')
  assert.equal(junk.signatures[0].checks[0].check, 'structure')
})

test('verifySeal', async () => {
  assert.equal((await eseal.verifySeal(seal, { trust })).verdict, 'valid')
  assert.equal((await eseal.verifySeal(seal.toBuffer())).verdict, 'intact_untrusted')
  assert.equal((await eseal.verifySeal(Buffer.from('junk'))).verdict, 'invalid')
})

test('golden vectors and samples from other producers', async () => {
  const ses = path.join(REPO, 'vectors', 'ses')
  const golden = new eseal.Seal(path.join(ses, 'seal-v4.der'))
  assert.equal(golden.esId, '310000000000001')
  const r = await eseal.verifySignature(fs.readFileSync(path.join(ses, 'signature-v4.der')), {
    data: Buffer.from('eseal golden vector: the protected data'),
    trust: [new eseal.TestCa('eseal-vectors').rootCertPem],
    at: '2026-06-02T00:00:00Z',
  })
  assert.equal(r.verdict, 'valid')
  const shared = path.join(REPO, '..', 'shared', 'vectors', 'ofdrw')
  if (!fs.existsSync(shared)) {
    console.log(`skipping: ${shared} is absent`)
    return
  }
  assert.equal(new eseal.Seal(path.join(shared, 'UserV5.esl')).version, 'v5')
  const v4 = await eseal.verifySeal(fs.readFileSync(path.join(shared, 'UserV4.esl')), { at: '2026-11-01T00:00:00Z' })
  assert.equal(v4.verdict, 'invalid') // valid 2020-04-22 .. 2022-04-22: not valid now
  assert.equal((await eseal.verifySeal(fs.readFileSync(path.join(shared, 'SESealData.DER')))).verdict, 'invalid')
})

test('signing runs off the main thread: the event loop keeps turning', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 0)
  const sigs = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => eseal.signData(seal, person, Buffer.from([i]))))
  clearInterval(timer)
  assert.equal(sigs.length, 8)
  for (const s of sigs) assert.equal((await eseal.verifySignature(s, { trust })).verdict, 'valid_with_warnings')
})

// A software UKey (PIN 123456, the test CA's person in application ESEAL) behind its own copy
// of the SKF library, in a new folder.
function softUkey () {
  const lib = process.env.ESEAL_SOFT_UKEY_LIB
  const cli = process.env.ESEAL_BIN
  assert.ok(lib && cli, 'ESEAL_SOFT_UKEY_LIB and ESEAL_BIN must name the software UKey library and the eseal command (scripts/test.d/80-bindings.sh sets them)')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-node-ukey-'))
  const state = path.join(dir, 'key.json')
  execFileSync(cli, ['ukey', 'init', '--out', state, '--pin', '123456', '--test-ca', 'xlang'])
  const copy = path.join(dir, path.basename(lib))
  fs.copyFileSync(lib, copy)
  fs.writeFileSync(copy + '.devices', state + '\n')
  return { dir, state, copy }
}

test('a UKey signer through the SKF library', async () => {
  const { dir, copy } = softUkey()
  await assert.rejects(eseal.Signer.fromUkey({ library: copy, pin: '000000', application: 'ESEAL' }), (e) => e.code === 'ESEAL_PIN_INCORRECT' && e.retriesLeft >= 1)
  assert.throws(() => eseal.Signer.fromUkeySync({ library: copy, pin: '000000', application: 'ESEAL' }), (e) => e.code === 'ESEAL_PIN_INCORRECT' && typeof e.retriesLeft === 'number')
  await assert.rejects(eseal.Signer.fromUkey({ library: path.join(dir, 'absent.so'), pin: '123456', application: 'ESEAL' }), { code: 'ESEAL_DEVICE' })
  const s = await eseal.Signer.fromUkey({ library: copy, pin: '123456', application: 'ESEAL' })
  assert.equal(s.certificatePem, ca.certPem('person'))
  const sig = await eseal.signData(seal, s, DATA)
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trust, strict: true })).verdict, 'valid')
  fs.rmSync(dir, { recursive: true })
})

test('signing with a UKey fails with the cause\'s code', async () => {
  const { dir, state, copy } = softUkey()
  const key = await eseal.Signer.fromUkey({ library: copy, pin: '123456', application: 'ESEAL' })
  const png = fs.readFileSync(path.join(REPO, 'vectors', 'ses', 'picture-8x8.png'))
  const plain = path.join(REPO, 'vectors', 'bindings')
  const signBoth = (s) => [
    () => eseal.signPdf(fs.readFileSync(path.join(plain, 'plain.pdf')), s, key, { stamp: { page: 1, x: 200, y: 40, width: 60, height: 60 } }),
    () => eseal.signOfd(fs.readFileSync(path.join(plain, 'plain.ofd')), s, key, { stamp: { page: 1, x: 30, y: 40 } })
  ]
  // A seal that does not list the key's certificate (GB/T 38540 §8.2): the seal's refusal.
  const other = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000050', picture: png, signerCerts: [ca.certPem('unit')] })
  for (const sign of signBoth(other)) await assert.rejects(sign(), { code: 'ESEAL_SEAL_UNUSABLE' })
  // The key is pulled out: a device error.
  const good = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000050', picture: png, signerCerts: [ca.certPem('person')] })
  const st = JSON.parse(fs.readFileSync(state, 'utf8'))
  st.present = false
  fs.writeFileSync(state, JSON.stringify(st))
  for (const sign of signBoth(good)) await assert.rejects(sign(), { code: 'ESEAL_DEVICE', message: /removed/ })
  fs.rmSync(dir, { recursive: true })
})

test('signOfd and signPdf, then verifyOfd and verifyPdf', async () => {
  const png = fs.readFileSync(path.join(REPO, 'vectors', 'ses', 'picture-8x8.png'))
  const pngSeal = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000048', picture: png, signerCerts: [person.certificatePem] })
  const plain = path.join(REPO, 'vectors', 'bindings')
  const ofd = await eseal.signOfd(fs.readFileSync(path.join(plain, 'plain.ofd')), pngSeal, person, { stamp: { page: 1, x: 30, y: 40 } })
  const r = await eseal.verifyOfd(ofd, { trust })
  assert.equal(r.verdict, 'valid', JSON.stringify(r.signatures.map((s) => s.checks.filter((c) => c.status !== 'passed'))))
  assert.equal(r.format, 'ofd')
  const pdf = await eseal.signPdf(fs.readFileSync(path.join(plain, 'plain.pdf')), pngSeal, person, { stamp: { page: 1, x: 200, y: 40, width: 60, height: 60 } })
  assert.equal((await eseal.verifyPdf(pdf, { trust })).verdict, 'valid')
  const i = pdf.indexOf('eseal bindings')
  const bad = Buffer.from(pdf)
  bad[i] = 'E'.charCodeAt(0)
  assert.equal((await eseal.verifyPdf(bad, { trust })).verdict, 'invalid')
  await assert.rejects(eseal.verifyOfd(Buffer.from('junk')), { code: 'ESEAL_INVALID_INPUT' })
  // Unusable PDF input is a rejection exactly as for OFD.
  await assert.rejects(eseal.verifyPdf(Buffer.from('junk')), { code: 'ESEAL_INVALID_INPUT', message: /not a PDF/ })
  await assert.rejects(eseal.signPdf(fs.readFileSync(path.join(plain, 'plain.pdf')), seal, person, { stamp: { page: 1, x: 1, y: 1, width: 50, height: 50 } }), { code: 'ESEAL_INVALID_INPUT', message: /PNG/ })
})

test('arguments: pages from 1, paths or Buffers, one stamp rule for PDF and OFD, JPEG pictures', async () => {
  const plain = path.join(REPO, 'vectors', 'bindings')
  const jpegSeal = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '310000000000051', picture: path.join(plain, 'seal.jpg'), signerCerts: person.certificatePem ? [person.certificatePem] : [] })
  for (const page of [0, -1, 2 ** 32]) {
    await assert.rejects(eseal.signPdf(path.join(plain, 'plain.pdf'), jpegSeal, person, { stamp: { page } }), { code: 'ESEAL_INVALID_INPUT', message: /page/ })
    await assert.rejects(eseal.signOfd(path.join(plain, 'plain.ofd'), jpegSeal, person, { stamp: { page } }), { code: 'ESEAL_INVALID_INPUT', message: /page/ })
  }
  // A position without a page: page 1 in both formats, visible (the JPEG picture converted).
  const pdf = await eseal.signPdf(path.join(plain, 'plain.pdf'), jpegSeal, person, { stamp: { x: 150, y: 30 } })
  const r = await eseal.verifyPdf(pdf, { trust: ca.rootCertPem })
  assert.equal(r.verdict, 'valid')
  assert.match(pdf.toString('latin1'), /\/Subtype\s*\/Image/)
  const invisible = await eseal.signPdf(fs.readFileSync(path.join(plain, 'plain.pdf')), jpegSeal, person, { stamp: { invisible: true } })
  assert.doesNotMatch(invisible.subarray(fs.statSync(path.join(plain, 'plain.pdf')).size).toString('latin1'), /\/Subtype\s*\/Image/)
  const ofd = await eseal.signOfd(path.join(plain, 'plain.ofd'), jpegSeal, person, { stamp: { x: 30, y: 40 } })
  assert.equal((await eseal.verifyOfd(ofd, { trust: ca.rootCertPem })).verdict, 'valid')
  await assert.rejects(eseal.signOfd(path.join(plain, 'plain.ofd'), jpegSeal, person, { stamp: { invisible: true } }), { code: 'ESEAL_INVALID_INPUT' })
  // An SVG seal cannot be drawn in a PDF: the way out is named.
  await assert.rejects(eseal.signPdf(path.join(plain, 'plain.pdf'), seal, person), { code: 'ESEAL_INVALID_INPUT', message: /invisibl/ })
  // Wrong types are ESEAL_INVALID_INPUT too, never napi's InvalidArg.
  assert.throws(() => new eseal.Seal(42), { code: 'ESEAL_INVALID_INPUT' })
  assert.throws(() => eseal.signPdf(42, seal, person), { code: 'ESEAL_INVALID_INPUT' })
  await assert.rejects(eseal.signPdf(path.join(plain, 'absent.pdf'), seal, person), { code: 'ESEAL_IO' })
})

test('junk PDF and junk OFD reject alike; a report names the path given', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-node-junk-'))
  for (const name of ['junk.pdf', 'junk.ofd']) fs.writeFileSync(path.join(dir, name), 'junk')
  await assert.rejects(eseal.verifyPdf(path.join(dir, 'junk.pdf')), { code: 'ESEAL_INVALID_INPUT' })
  await assert.rejects(eseal.verifyOfd(path.join(dir, 'junk.ofd')), { code: 'ESEAL_INVALID_INPUT' })
  const plain = path.join(REPO, 'vectors', 'bindings', 'plain.pdf')
  assert.equal((await eseal.verifyPdf(plain)).file, plain)
  assert.equal((await eseal.verifyPdf(fs.readFileSync(plain))).file, 'document.pdf')
  fs.rmSync(dir, { recursive: true })
})

test('trust: one value, an array, or a trust directory', async () => {
  const sig = await eseal.signData(seal, person, DATA)
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trust: ca.rootCertPem })).verdict, 'valid')
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trust: [ca.rootCertPem] })).verdict, 'valid')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eseal-node-trust-'))
  fs.writeFileSync(path.join(dir, 'root.pem'), ca.rootCertPem)
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trustDir: dir })).verdict, 'valid')
  assert.equal((await eseal.verifySignature(sig, { data: DATA, trustDir: false })).verdict, 'intact_untrusted')
  await assert.rejects(eseal.verifySignature(sig, { data: DATA, trustDir: path.join(dir, 'absent') }), { code: 'ESEAL_IO' })
  fs.rmSync(dir, { recursive: true })
})

test('objects print usefully', () => {
  const util = require('node:util')
  const shown = util.inspect(seal)
  assert.match(shown, /^Seal \{/)
  assert.match(shown, /esId: '310000000000044'/)
  assert.match(util.inspect(person), /Signer \{ subject: '.*张三/)
  assert.ok(seal instanceof eseal.Seal)
})
