#!/usr/bin/env bash
# Refresh the vendored front-end assets under src/patron/web/static/vendor/ from the npm
# registry. The result is committed: the app never loads anything from a CDN, and
# installing Patron needs no npm. Run by hand when upgrading a library.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=src/patron/web/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

BOOTSTRAP=bootstrap@5.3.9
ICONS=bootstrap-icons@1.13.2
HTMX=htmx.org@2.0.11
CHARTJS=chart.js@4.6.1

fetch() {  # fetch PACKAGE -> unpacked dir
  (cd "$WORK" && npm pack --silent "$1" >/dev/null)
  local tarball
  tarball=$(ls -t "$WORK"/*.tgz | head -1)
  local dir="$WORK/$(basename "$tarball" .tgz)"
  mkdir -p "$dir" && tar -xzf "$tarball" -C "$dir" && rm "$tarball"
  echo "$dir/package"
}

rm -rf "$DEST" && mkdir -p "$DEST"/{bootstrap,bootstrap-icons/fonts,htmx,chartjs}

src=$(fetch $BOOTSTRAP)
cp "$src"/dist/css/bootstrap.min.css "$src"/dist/css/bootstrap.rtl.min.css "$DEST/bootstrap/"
cp "$src"/dist/js/bootstrap.bundle.min.js "$DEST/bootstrap/"
cp "$src"/LICENSE "$DEST/bootstrap/LICENSE"

src=$(fetch $ICONS)
cp "$src"/font/bootstrap-icons.min.css "$DEST/bootstrap-icons/"
cp "$src"/font/fonts/bootstrap-icons.woff2 "$src"/font/fonts/bootstrap-icons.woff "$DEST/bootstrap-icons/fonts/"
cp "$src"/LICENSE "$DEST/bootstrap-icons/LICENSE"

src=$(fetch $HTMX)
cp "$src"/dist/htmx.min.js "$DEST/htmx/"
cp "$src"/LICENSE "$DEST/htmx/LICENSE"

src=$(fetch $CHARTJS)
cp "$src"/dist/chart.umd.min.js "$DEST/chartjs/" 2>/dev/null || cp "$src"/dist/chart.umd.js "$DEST/chartjs/chart.umd.min.js"
cp "$src"/LICENSE.md "$DEST/chartjs/LICENSE.md"

# The source maps are not shipped; drop their references so collectstatic finds no dangling URL.
find "$DEST" \( -name "*.js" -o -name "*.css" \) -exec sed -i -E 's#/[*/]\# sourceMappingURL=[^ *]+( \*/)?##' {} +

cat > "$DEST/README.md" <<INFO
Vendored by scripts/vendor-static.sh from the npm registry; do not edit by hand.

- $BOOTSTRAP (MIT) — bootstrap/
- $ICONS (MIT) — bootstrap-icons/
- $HTMX (0BSD) — htmx/
- $CHARTJS (MIT) — chartjs/
INFO
echo "vendored into $DEST"
