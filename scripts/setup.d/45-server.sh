# The reference server's API fuzzing: schemathesis (PyPI) runs against the OpenAPI document of
# a running eseal-server (scripts/test.d/85-server-api.sh). PDF page previews use poppler's
# pdftoppm (installed by 60-pdf.sh).
venv_pip_install schemathesis
