"""Render an OFD with easyofd (an independent reader) and measure colours in page regions.

usage: easyofd_render.py FILE.ofd REGIONS_JSON
REGIONS_JSON: [[page_index, x_mm, y_mm, w_mm, h_mm], ...]
prints JSON: {"pages": n, "sizes": [[w_px, h_px], ...], "regions": [[r, g, b], ...]}
The mean colour of each region is measured on the page image; mm are converted with the
page width (the test pages are 210 mm wide).
"""
import io
import json
import sys
import contextlib

from easyofd.ofd import OFD


def main():
    path, regions = sys.argv[1], json.loads(sys.argv[2])
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        ofd = OFD()
        ofd.read(path, fmt="path")
        images = ofd.to_jpg()
    out = {"pages": len(images), "sizes": [list(im.size) for im in images], "regions": [], "log": log.getvalue()[-2000:]}
    for page, x, y, w, h in regions:
        im = images[page].convert("RGB")
        scale = im.size[0] / 210.0
        box = (int(x * scale), int(y * scale), int((x + w) * scale), int((y + h) * scale))
        crop = im.crop(box)
        px = list(crop.getdata())
        n = max(len(px), 1)
        out["regions"].append([sum(p[i] for p in px) / n for i in range(3)])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
