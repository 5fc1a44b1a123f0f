#!/usr/bin/env bash
# Copy the collection as git sees it (tracked + untracked-not-ignored files) to
#   DEST/ansible_collections/openaccel/cyborg
# and the collections of .cache/collections (requirements.yml, tests/requirements.yml) next to
# it, then print that path.  ansible-test refuses to run through the in-place symlink (it resolves the real cwd),
# so sanity and units run in such a copy.
#   scripts/stage-collection.sh DEST
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1/ansible_collections/openaccel/cyborg
rm -rf "$dest"
mkdir -p "$dest"

if git rev-parse --git-dir >/dev/null 2>&1; then
    # skip tracked files deleted in the work tree, tar would fail on them
    # ... and not the in-place link ansible_collections/openaccel/cyborg -> ../.. (a development
    # convenience that galaxy.yml's build_ignore keeps out of the tarball: not collection content)
    git ls-files -z -co --exclude-standard \
        | while IFS= read -r -d '' f; do
              [[ $f == ansible_collections/* ]] && continue
              if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
          done \
        | tar --null -T - -cf - | tar -xf - -C "$dest"
else
    # not a git checkout (an unpacked archive): copy all but the local build/venv state
    tar --exclude=./.git --exclude='./.venv*' --exclude=./.cache --exclude=./ansible_collections \
        --exclude=./tests/output --exclude='*.pyc' --exclude=__pycache__ -cf - . | tar -xf - -C "$dest"
fi

if [ -d .cache/collections/ansible_collections ]; then
    for coll in .cache/collections/ansible_collections/*/*; do
        [ -d "$coll" ] || continue
        ns_name=${coll#.cache/collections/ansible_collections/}
        [ "$ns_name" = openaccel/cyborg ] && continue
        mkdir -p "$1/ansible_collections/${ns_name%/*}"
        rm -rf "$1/ansible_collections/$ns_name"
        cp -a "$coll" "$1/ansible_collections/$ns_name"
    done
fi
echo "$dest"
