#!/usr/bin/env bash
# Build the collection's HTML docsite with antsibull-docs and Sphinx:
#   scripts/docsite.sh DEST
# DEST (a new or empty directory) receives the site: DEST/index.html, the module, plugin and role
# pages under DEST/collections/openaccel/cyborg/, and the pages of docs/docsite/extra-docs.yml
# under DEST/collections/openaccel/cyborg/docsite/. The collection is the one in this checkout,
# found in place through the ANSIBLE_COLLECTIONS_PATH of scripts/test-env.sh (--use-current).
# Sphinx warnings are errors (the generated build.sh runs sphinx-build -W), so a broken page,
# reference or code block fails the build. Needs sphinx, sphinx-ansible-theme and antsibull-docs
# (requirements-test.txt).
#
# No network: sphinx-init's conf.py maps intersphinx inventories (Python, Jinja2, the Ansible
# docs) that Sphinx would download on every build; offline (CI, air-gapped mirrors) each failed
# download is a warning, hence a failed build. This script turns intersphinx off in the generated
# conf.py. The module and plugin pages antsibull-docs generates still refer to the Ansible docs
# (the common return values, action plugins, ansible-core's configuration and environment
# variables, ansible.builtin plugins): a small handler added to conf.py links those, and only
# those, to their pages under docs.ansible.com (the URL the generated conf.py gives the Ansible
# docs). Any other unresolved reference, one into this collection's pages included, stays a
# warning and fails the build.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DEST" >&2
    exit 2
fi
if [ -e "$1" ] && [ -n "$(ls -A "$1")" ]; then
    echo "$0: $1 exists and is not empty; give a new or empty directory" >&2
    exit 2
fi
mkdir -p "$1"
DEST=$(cd "$1" && pwd)

# shellcheck source=scripts/test-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/test-env.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/openaccel-docsite.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$WORK" \
    --project openaccel.cyborg --copyright "openaccel.cyborg developers" \
    --title "openaccel.cyborg collection documentation" --html-short-title openaccel.cyborg \
    openaccel.cyborg
cat >>"$WORK/conf.py" <<'PYTHON'

# Added by scripts/docsite.sh: the build must not need the network (no intersphinx); the
# generated plugin pages' references into the Ansible docs become links to docs.ansible.com.
extensions = [ext for ext in extensions if ext != 'sphinx.ext.intersphinx']
intersphinx_mapping = {}

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# labels that antsibull-docs' plugin templates use, each the label of a whole Ansible docs page
ANSIBLE_DOCS_PAGES = {
    'action_plugins': 'plugins/action.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
    'callback_plugins': 'plugins/callback.html',
    'common_return_values': 'reference_appendices/common_return_values.html',
    'list_of_collections': 'collections/index.html',
}


def _ansible_docs_url(reftype, target):
    import re
    if reftype == 'envvar' and target.startswith('ANSIBLE_'):
        return 'reference_appendices/config.html#envvar-' + target
    if reftype != 'ref':
        return None
    if target in ANSIBLE_DOCS_PAGES:
        return ANSIBLE_DOCS_PAGES[target]
    # a plugin of another collection: ansible_collections.<namespace>.<name>.<plugin>_<type>
    match = re.fullmatch(r'ansible_collections\.(\w+)\.(\w+)\.(\w+)', target)
    if match and match.group(1, 2) != ('openaccel', 'cyborg'):
        return 'collections/%s/%s/%s.html' % match.groups()
    return None


def _link_ansible_docs(app, env, node, contnode):
    from docutils import nodes
    url = _ansible_docs_url(node.get('reftype'), node.get('reftarget', ''))
    if url is None:
        return None
    reference = nodes.reference('', '', internal=False, refuri=ANSIBLE_DOCS + url)
    reference += contnode
    return reference


def setup(app):
    app.connect('missing-reference', _link_ansible_docs)
PYTHON

"$WORK/build.sh"
cp -a "$WORK/build/html/." "$DEST/"
echo "docsite: $DEST/index.html"
