# Writes a fake clang++ to $1: `--version` prints $2 (a version line); any
# other call prints its arguments one per line in brackets, so a test sees
# exactly what gpreempt-cc passed, and exits with status $3 (default 0).
cat > "$1" <<SCRIPT
#!/bin/sh
if [ "\$1" = --version ]; then echo "$2"; exit 0; fi
for a in "\$@"; do echo "[\$a]"; done
exit ${3:-0}
SCRIPT
chmod +x "$1"
