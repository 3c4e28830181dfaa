# Base tools: OpenSSL 3 (SM2/SM3 interop tests), a C compiler, pkg-config.
apt_install openssl ca-certificates pkg-config gcc
