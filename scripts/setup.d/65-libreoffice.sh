# A third PDF producer for the keyword-placement tests (core/tests/placement.rs): LibreOffice
# Writer without a GUI, for `soffice --headless --convert-to pdf` of an .fodt with Chinese text
# (it embeds a subset of the CJK font it finds: AR PL UMing from 30-fonts.sh).
apt_install libreoffice-writer-nogui
