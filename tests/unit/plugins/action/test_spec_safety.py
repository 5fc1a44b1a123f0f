"""validate_spec: bad input changes nothing and leaks nothing (issue 18, items 2-4).

- paths: relative controller paths resolve under the inventory directory, ``..`` is refused;
- secrets: no value of a secret setting in any error, message or warning, at -vvv too;
- address patterns: the fnmatch syntax the docs promise is accepted by the schema and matched;
- the documented check-jsonschema step passes on every shipped example spec.
"""
import copy
import glob
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import annotations
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import masking
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import match
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import paths
from ansible_collections.openaccel.cyborg.plugins.plugin_utils._spec import schema

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
BIN = os.path.dirname(sys.executable)
EXAMPLE_INVENTORIES = sorted(set(
    os.path.dirname(os.path.dirname(os.path.dirname(p))) for p in glob.glob(
        os.path.join(ROOT, "inventories", "*", "group_vars", "*", "accelerators.yml"))))


def _collections_path():
    parent = os.path.dirname(os.path.dirname(ROOT))
    if os.path.basename(parent) == "ansible_collections":
        return os.path.dirname(parent)
    return ROOT


def _ansible_playbook(tmp_path, play, inventory, *extra):
    book = tmp_path / "play.yml"
    book.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collections_path(), ANSIBLE_NOCOLOR="1")
    # cwd: the checkout (the collection), as the fleet tests run: a relative path must not
    # land there, nor under its playbooks/
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, str(book)]
                          + list(extra), capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False, timeout=300)


# ---------------------------------------------------------------------------------- item 2
def _spec(**kubernetes):
    return {"version": 1, "devices": [],
            "register": {"kubernetes": dict({"target": "manifests"}, **kubernetes)}}


def test_controller_paths_resolve_under_the_base_and_dotdot_is_refused():
    resolved, errors = schema.spec_paths(
        _spec(manifest_dir="gitops/nodes", kubeconfig="~/kc", ca_cert="/etc/ca.pem"), "/inv")
    assert errors == []
    assert resolved == {"kubernetes": {"manifest_dir": "/inv/gitops/nodes",
                                       "kubeconfig": os.path.expanduser("~/kc"),
                                       "ca_cert": "/etc/ca.pem"}}
    for bad in ("../out", "a/../../out", "/srv/../etc", "..", "a/.."):
        errors = schema.validate_schema(_spec(manifest_dir=bad))
        assert [(e["path"], e["message"]) for e in errors] == [
            ("$.register.kubernetes.manifest_dir", paths.DOTDOT_MESSAGE)], (bad, errors)
        assert schema.spec_paths(_spec(manifest_dir=bad), "/inv")[1][0]["path"] == \
            "$.register.kubernetes.manifest_dir"
    # a name that merely starts with two dots is no parent directory
    assert schema.validate_schema(_spec(manifest_dir="..nodes/x")) == []


def test_every_path_setting_of_the_schema_is_annotated():
    """A string setting named like a path or directory carries "x-path" (resolved or checked
    by validate_spec), so a new one cannot be left to Ansible's working directory."""
    root = schema.load_schema()
    found = []

    def walk(node, name):
        node = annotations._resolve(root, node)
        if isinstance(node, dict):
            if re.search(r"(_dir|_file|kubeconfig|ca_cert|^src)$", name or "") \
                    and node.get("type") == "string":
                found.append((name, node.get(annotations.PATH_KEYWORD)))
            for key, sub in (node.get("properties") or {}).items():
                walk(sub, key)
    for definition in root["$defs"].values():
        walk(definition, None)
    assert found and all(kind in ("controller", "host") for _name, kind in found), found


def _path_play(tmp_path, spec, report_dir):
    out = tmp_path / "result.json"
    inv_dir = tmp_path / "inv"
    inv_dir.mkdir()
    (inv_dir / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"h1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "accelerators_spec": spec, "accelerators_report_dir": report_dir}}}}))
    play = [{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "validate", "register": "r", "ignore_errors": True,
         "openaccel.cyborg.validate_spec": {
             "spec": "{{ accelerators_spec }}",
             "paths": {"accelerators_report_dir": "{{ accelerators_report_dir }}"}}},
        {"name": "save", "delegate_to": "localhost", "ansible.builtin.copy": {
            "content": "{{ r | to_json }}", "dest": str(out), "mode": "0644"}}]}]
    proc = _ansible_playbook(tmp_path, play, str(inv_dir / "hosts.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text()), str(inv_dir)


def test_relative_paths_resolve_under_the_inventory_dir(tmp_path):
    res, inv_dir = _path_play(tmp_path, _spec(manifest_dir="manifests"), "reports")
    assert not res.get("failed"), res
    assert res["register_paths"] == {"kubernetes": {"manifest_dir": inv_dir + "/manifests"}}
    assert res["paths"] == {"accelerators_report_dir": inv_dir + "/reports"}


def test_dotdot_paths_are_refused_with_their_name(tmp_path):
    res, _inv = _path_play(tmp_path, _spec(manifest_dir="../escape"), "../reports")
    assert res["failed"] and res["stage"] == "schema", res
    assert "$.register.kubernetes.manifest_dir" in res["msg"] and \
        "accelerators_report_dir" in res["msg"], res["msg"]
    assert not (tmp_path / "escape").exists() and not (tmp_path / "reports").exists()


# ---------------------------------------------------------------------------------- item 3
def _secret_locations(root):
    """Every place in a spec where the schema has a secret setting (writeOnly, or a name the
    masking takes for a secret): [(path parts, name)], taken from the schema itself."""
    out = []

    def walk(node, parts, depth):
        node = annotations._resolve(root, node)
        if not isinstance(node, dict) or depth > 12:
            return
        for key, sub in (node.get("properties") or {}).items():
            resolved = annotations._resolve(root, sub)
            if resolved.get(annotations.SECRET_KEYWORD) or masking.SECRET_KEY_RE.search(key):
                out.append((parts + [key], key))
            else:
                walk(sub, parts + [key], depth + 1)
        if isinstance(node.get("items"), dict):
            walk(node["items"], parts + [0], depth + 1)
    walk(root, [], 0)
    return out


def _put(doc, parts, value):
    for part, following in zip(parts, parts[1:] + [None]):
        if following is None:
            doc[part] = value
        else:
            if isinstance(doc, list):
                while len(doc) <= part:
                    doc.append({})
                doc = doc[part]
            else:
                doc = doc.setdefault(part, [] if isinstance(following, int) else {})


def _leaky_specs():
    """Bad specs with a unique secret string in every secret field the schema knows and in
    unknown keys that look secret, each in a block that has a schema error (so the block is
    printed as an error value)."""
    root = schema.load_schema()
    locations = _secret_locations(root)
    assert {tuple(p) for p, _n in locations} >= {("register", "placement", "token"),
                                                 ("register", "kubernetes", "api_key")}
    secrets = {}
    spec = {"version": 1, "devices": [
        {"name": "g", "select": {"type": "gpu"}, "optional": True,
         "driver": {"role": "nvidia_driver", "vars": {"nvidia_driver_repo_password": "S-VARS-1"}},
         "sriov": {"num_vfs": -1}}]}
    secrets["vars"] = "S-VARS-1"
    for number, (parts, name) in enumerate(locations):
        secrets[name] = "S-%s-%d-x9" % (name.upper(), number)
        _put(spec, parts, secrets[name])
    register = spec["register"]
    # errors in both blocks: cloud and endpoint together, manifests without manifest_dir
    register["placement"].update(cloud="c", endpoint="http://e", password="S-PASSWORD-2",
                                 auth={"username": "S-AUTH-USER-3", "password": "S-AUTH-4"},
                                 application_credential_secret="S-APPCRED-5",
                                 client_key="S-CLIENT-KEY-6")
    register["kubernetes"].update(target="manifests", Password="S-K8S-PASS-7")
    secrets.update(p="S-PASSWORD-2", u="S-AUTH-USER-3", a="S-AUTH-4", c="S-APPCRED-5",
                   k="S-CLIENT-KEY-6", kp="S-K8S-PASS-7")
    # a secret of the wrong type: jsonschema quotes the instance in its message
    typed = copy.deepcopy(spec)
    typed["register"]["placement"]["token"] = 918273645
    typed["register"]["kubernetes"]["api_key"] = ["S-LISTED-8"]
    secrets.update(t="918273645", l="S-LISTED-8")
    return [spec, typed], sorted(secrets.values())


def test_masker_masks_every_secret_of_every_error():
    specs, secrets = _leaky_specs()
    names = schema.secret_names()
    assert names == sorted(annotations.property_names(schema.load_schema(), "writeOnly"))
    for spec in specs:
        masker = masking.Masker(spec, names)
        errors = schema.validate_schema(spec, mask=masker.mask)
        assert errors
        text = json.dumps([masker.error(e) for e in errors])
        assert not [s for s in secrets if s in text], text
        # no part of one either (a message shortened in the middle of a secret)
        assert not [s for s in secrets if s[:6] in text], text
        # and unmasked, they would have leaked (the test sees what it guards against)
        assert any(s in json.dumps(errors, default=str) for s in secrets)


def test_no_secret_in_the_output_at_vvv(tmp_path):
    specs, secrets = _leaky_specs()
    hosts = tmp_path / "hosts.yml"
    hosts.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "leaky_specs": specs}}}}))
    tasks = [{"name": "validate %d" % i, "ignore_errors": True,
              "openaccel.cyborg.validate_spec": {"spec": "{{ leaky_specs[%d] }}" % i}}
             for i in range(len(specs))]
    # a spec that passes the schema, then fails matching (the devices stage)
    tasks.append({"name": "validate devices", "ignore_errors": True,
                  "openaccel.cyborg.validate_spec": {
                      "spec": {"version": 1,
                               "devices": [{"name": "none", "select": {"type": "fpga"}}],
                               "register": {"placement": {"endpoint": "http://e",
                                                          "token": "S-VALID-TOKEN-9"}}},
                      "devices": [{"address": "0000:3b:00.0", "type": "gpu"}]}})
    secrets.append("S-VALID-TOKEN-9")
    proc = _ansible_playbook(tmp_path, [{"hosts": "all", "gather_facts": False,
                                         "tasks": tasks}], str(hosts), "-vvv")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert output.count("accelerator spec is invalid") >= 3, output[-4000:]
    assert "$.register.placement" in output and "********" in output, output[-4000:]
    assert not [s for s in secrets if s in output], [s for s in secrets if s in output]


# ---------------------------------------------------------------------------------- item 4
DEVICES = [{"address": "0000:3b:00.%d" % n, "type": "qat", "is_virtual_function": n > 0}
           for n in range(8)]


@pytest.mark.parametrize("pattern, matched", [
    ("0000:3b:00.[1-4]", [1, 2, 3, 4]),
    ("0000:3b:00.[!0]", [1, 2, 3, 4, 5, 6, 7]),
    ("0000:3B:00.[05]", [0, 5]),
    ("0000:3[a-c]:00.?", list(range(8))),
    ("*:3b:00.*", list(range(8))),
    ("0000:3b:0[0-1].[67]", [6, 7]),
])
def test_documented_address_patterns_pass_the_schema_and_match(pattern, matched):
    select = {"address": pattern, "virtual_functions": True}
    spec = {"version": 1, "devices": [{"name": "q", "select": select}]}
    assert schema.validate_schema(spec) == []
    assert schema.validate_schema(dict(spec, devices=[{"name": "q", "select": dict(
        select, address=[pattern, "0000:af:00.0"])}])) == []
    assert [d["address"] for d in DEVICES if match.matches(select, d)] == \
        ["0000:3b:00.%d" % n for n in matched]


@pytest.mark.parametrize("pattern", ["3b:00.0", "0000:3b:00", "0000:3b:00.8", "0000:3b:00.[8-9]",
                                     "0000:3b:00.[]", "0000:3g:00.0", "0000:3b:00.0/x"])
def test_bad_address_patterns_are_refused(pattern):
    errors = schema.validate_schema({"version": 1, "devices": [
        {"name": "q", "select": {"address": pattern}}]})
    assert [e["path"] for e in errors] == ["$.devices[0].select.address"], errors


def _doc(name):
    """The collection docs page NAME (docs/docsite/rst/NAME.rst)."""
    path = os.path.join(ROOT, "docs", "docsite", "rst", name + ".rst")
    if not os.path.exists(path):
        pytest.skip("no %s in this copy" % path)
    with open(path) as handle:
        return handle.read()


def _check_jsonschema():
    tool = os.path.join(BIN, "check-jsonschema")
    assert os.path.exists(tool), "check-jsonschema is not installed (requirements-test.txt)"
    return tool


def _schema_job_loop():
    """The schema job's loop of the gitops docs page, as documented."""
    text = _doc("gitops")
    loop = re.search(r"^( *)for f in \$INVENTORY/.*?^\1done$", text, re.M | re.S)
    assert loop and "check-jsonschema" in loop.group(0), "no schema loop on the gitops page"
    return "\n".join(line[len(loop.group(1)):] for line in loop.group(0).splitlines())


@pytest.mark.parametrize("inventory", EXAMPLE_INVENTORIES,
                         ids=[os.path.basename(p) for p in EXAMPLE_INVENTORIES])
def test_documented_check_jsonschema_step_passes_on_the_shipped_inventories(inventory, tmp_path):
    _check_jsonschema()
    env = dict(os.environ, INVENTORY=inventory, PATH=BIN + os.pathsep + os.environ["PATH"],
               SCHEMA=schema.SCHEMA_FILE, TMPDIR=str(tmp_path))
    script = "set -e\n" + _schema_job_loop().replace("/tmp/spec.json", str(tmp_path / "spec.json"))
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout, proc.stdout


def test_documented_check_jsonschema_step_still_rejects_bad_values(tmp_path):
    _check_jsonschema()
    with open(os.path.join(ROOT, "inventories", "demo", "group_vars", "all",
                           "accelerators.yml")) as handle:
        spec = yaml.safe_load(handle)["accelerators_spec"]
    inv = tmp_path / "inv"
    for bad in ({"endpoint": "ftp://placement"}, {"token": "S-CJ-1", "password": "x"}):
        broken = copy.deepcopy(spec)
        broken["register"]["placement"].update(bad)
        (inv / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        (inv / "group_vars" / "all" / "accelerators.yml").write_text(
            yaml.safe_dump({"accelerators_spec": broken}))
        env = dict(os.environ, INVENTORY=str(inv), SCHEMA=schema.SCHEMA_FILE,
                   PATH=BIN + os.pathsep + os.environ["PATH"])
        script = _schema_job_loop().replace("/tmp/spec.json", str(tmp_path / "spec.json"))
        proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                              check=False, timeout=300)
        assert proc.returncode != 0, (bad, proc.stdout)


def test_the_spec_page_example_passes_the_documented_table_command(tmp_path):
    tool = _check_jsonschema()
    text = _doc("spec")
    blocks = [yaml.safe_load(textwrap.dedent(b)) for b in
              re.findall(r"^\.\. code-block:: yaml\n\n((?:   .*\n|\n)+)", text, re.M)]
    specs = [b["accelerators_spec"] for b in blocks if isinstance(b, dict)
             and "accelerators_spec" in b]
    assert specs
    for number, spec in enumerate(specs):
        path = tmp_path / ("spec%d.yml" % number)
        path.write_text(yaml.safe_dump(spec))
        # the table's command, as documented, from the collection's root
        proc = subprocess.run([tool, "--schemafile", "schemas/accelerators.schema.json",
                               str(path)], capture_output=True, text=True, cwd=ROOT,
                              check=False, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
