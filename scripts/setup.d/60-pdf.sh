# PDF referees for the pdf room's interop tests: poppler (pdfsig, pdftoppm), qpdf, NSS tools
# (a certificate database for pdfsig), pyHanko with its CLI in the venv.
apt_install poppler-utils qpdf libnss3-tools
venv_pip_install pyhanko pyhanko-cli
# endesive (a third PDF signature checker). Its oscrypto 1.3.0 cannot parse a two-digit
# OpenSSL patch version ("3.0.19"): widen that one regex (idempotent).
venv_pip_install endesive
"$ESEAL_VENV/bin/python" - <<'PY'
import glob
for f in glob.glob(__import__("sys").prefix + "/lib/python3*/site-packages/oscrypto/_openssl/_libcrypto_c*.py"):
    s = open(f).read()
    t = s.replace(r"(\\d\\.\\d\\.\\d[a-z]*)", r"(\\d+\\.\\d+\\.\\d+[a-z]*)")
    if t != s:
        open(f, "w").write(t)
PY
# PDF producers for the keyword-placement tests (core/tests/placement.rs): reportlab (CID and
# TrueType CJK fonts) and PyMuPDF (its china-s font); both also come with easyofd.
venv_pip_install reportlab pymupdf
