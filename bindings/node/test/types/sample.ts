// A program a TypeScript user writes against index.d.ts; `tsc --noEmit --strict` must accept
// it (scripts/bindings-test.sh). It is type-checked only, never run.
import * as eseal from '../..'
import type { EsealError, Report, SealInfo, Check, Verdict } from '../..'

async function main (pdf: Buffer): Promise<Verdict> {
  const ca = new eseal.TestCa('types')
  const person: eseal.Signer = ca.signer('person')
  const seal: eseal.Seal = await eseal.Seal.create(ca.signer('unit'), { name: '上海市测试局', esId: '1', picture: 'seal.png', signerCerts: [person.certificatePem] })
  const info: SealInfo = seal.info()
  const signed: Buffer = await eseal.signPdf(pdf, seal, person, { stamp: { page: 1, x: 100, y: 100, invisible: false } })
  const report: Report = await eseal.verifyPdf(signed, { trust: ca.rootCertPem, trustDir: false })
  const failed: Check[] = report.signatures.flatMap((s) => s.checks.filter((c) => c.status === 'failed'))
  const zh: string[] = failed.map((c) => c.message_zh)
  try {
    await eseal.Signer.fromUkey({ library: '/usr/lib/libskf.so', pin: '123456', application: 'ESEAL' })
  } catch (e) {
    const err = e as EsealError
    if (err.code === 'ESEAL_PIN_INCORRECT') console.log(err.retriesLeft ?? 0, info.es_id, zh.length)
  }
  return report.verdict
}

void main(Buffer.alloc(0))
