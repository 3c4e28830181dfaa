# PostgreSQL server binaries for the PostgreSQL store tests of eseal-server (the tests start
# and stop their own throwaway cluster on 127.0.0.1; nothing is started here).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
fi
