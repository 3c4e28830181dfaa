"""Writes plain.pdf and plain.ofd: one-page unsigned documents that the binding tests sign,
and two-pages.pdf / two-pages.ofd, the same with a second page (for cross-page seals).
Deterministic (fixed ZIP timestamps); run `python3 make.py` here to rewrite them."""
import zipfile

NS = "http://www.ofdspec.org/2016"


def pdf(pages=1):
    body = "BT /F1 18 Tf 40 150 Td (eseal bindings) Tj ET 0 0 1 rg 40 40 60 60 re f"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if pages == 2:
        objs[1] = "<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>"
        objs.append(objs[2])
    out = b"%PDF-1.7\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += f"{i + 1} 0 obj\n{o}\nendobj\n".encode()
    x = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f\r\n".encode()
    for o in offs:
        out += f"{o:010} 00000 n\r\n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n".encode()
    return out


def ofd(pages=1, name="plain.ofd"):
    files = {
        "OFD.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>5e3a1c0b9d8f4e7a6b5c4d3e2f1a0b9c</ofd:DocID><ofd:Title>eseal bindings</ofd:Title><ofd:CreationDate>2026-01-01</ofd:CreationDate></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
        "Doc_0/Document.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/PublicRes.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="Helvetica" FamilyName="Helvetica"/></ofd:Fonts></ofd:Res>',
        "Doc_0/Pages/Page_0/Content.xml": f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="20"><ofd:TextObject ID="21" Boundary="20 20 100 10" Font="2" Size="5"><ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="5">eseal bindings</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>',
    }
    if pages == 2:
        doc = "Doc_0/Document.xml"
        files[doc] = files[doc].replace('<ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/>', '<ofd:Page ID="10" BaseLoc="Pages/Page_0/Content.xml"/><ofd:Page ID="11" BaseLoc="Pages/Page_1/Content.xml"/>')
        files["Doc_0/Pages/Page_1/Content.xml"] = files["Doc_0/Pages/Page_0/Content.xml"].replace('ID="20"', 'ID="30"').replace('ID="21"', 'ID="31"')
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), text.encode())


if __name__ == "__main__":
    open("plain.pdf", "wb").write(pdf())
    ofd()
    open("two-pages.pdf", "wb").write(pdf(2))
    ofd(2, "two-pages.ofd")
