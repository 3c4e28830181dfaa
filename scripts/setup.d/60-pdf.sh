# PDF referees for the pdf room's interop tests: poppler (pdfsig, pdftoppm), qpdf, NSS tools
# (a certificate database for pdfsig), pyHanko with its CLI in the venv.
apt_install poppler-utils qpdf libnss3-tools
venv_pip_install pyhanko pyhanko-cli
