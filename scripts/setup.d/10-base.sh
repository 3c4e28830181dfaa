# Base tools: OpenSSL 3 (SM2/SM3 interop tests), a C compiler, pkg-config; GNU time for the
# peak-memory figures of benches/ofd_memory.sh.
apt_install openssl ca-certificates pkg-config gcc time
