# The web portal's browser tests (scripts/test.d/90-portal.sh): Debian's chromium driven by
# Playwright for Python (PyPI) through `executable_path` — Playwright's own browser downloads
# are not used. fonts-noto-cjk (30-fonts.sh) renders the Chinese pages.
apt_install chromium
venv_pip_install playwright pytest
