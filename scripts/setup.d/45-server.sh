# The reference server's tests: curl (TLS test, the API fuzzing script) and schemathesis (PyPI),
# which runs against the OpenAPI document of a running eseal-server
# (scripts/test.d/85-server-api.sh). PDF page previews use poppler's pdftoppm (60-pdf.sh);
# poppler-data holds the Adobe-GB1 CMaps the PDF verification report's Chinese text uses.
apt_install curl poppler-data
venv_pip_install schemathesis
