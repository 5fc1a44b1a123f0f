"""Running ansible-playbook from the integration suites: one place for the collection link,
the environment and the result file, shared by the Placement and Kubernetes suites."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def ensure_collection_link():
    """ansible_collections/openaccel/cyborg -> the checkout (the set-up makes it too)."""
    link = os.path.join(ROOT, "ansible_collections", "openaccel", "cyborg")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink("../..", link)


def _collection_env():
    """This process's environment with this checkout's collection and quiet warnings."""
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ROOT, ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")


def playbook_env(extra=None):
    """Environment of an ansible-playbook run on localhost with this checkout's collection."""
    return dict(_collection_env(), ANSIBLE_PYTHON_INTERPRETER=sys.executable, **(extra or {}))


def run_playbook_for_result(workdir, name, playbook, variables, check=False, diff=False,
                            env=None):
    """Write ``playbook`` to ``workdir/name``, run it with ``variables`` plus ``result_file``
    (the play copies what it wants checked there); returns (parsed result file, stdout)."""
    ensure_collection_link()
    book = workdir / name
    book.write_text(playbook)
    result_file = workdir / "result.json"
    if result_file.exists():
        result_file.unlink()
    vars_file = workdir / (name + ".vars.json")
    vars_file.write_text(json.dumps(dict(variables, result_file=str(result_file))))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(book),
           "-e", "@%s" % vars_file]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook_env(env),
                          cwd=str(workdir), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(result_file.read_text()), proc.stdout


BIN = os.path.dirname(sys.executable)
CALLBACKS = os.path.join(ROOT, "tests", "integration", "callback_plugins")


def json_results_env(*extra):
    """Environment of ansible / ansible-playbook runs whose stdout is one JSON document (the
    json_results callback), with this checkout's collection; ``extra`` dicts go on top."""
    env = dict(_collection_env(), ANSIBLE_STDOUT_CALLBACK="json_results",
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    for more in extra:
        env.update(more)
    return env


def module_argv(module, args, flags=()):
    """``ansible localhost -m <module> -a <args>`` on the local connection, this interpreter."""
    return [os.path.join(BIN, "ansible"), "localhost", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable,
            "-m", module, "-a", json.dumps(args)] + list(flags)


def parse_json_results(stdout, stderr=""):
    try:
        return json.loads(stdout)
    except ValueError:
        raise AssertionError("no JSON from ansible: %s\n%s" % (stdout, stderr))


def localhost_result(out):
    """The one task result of an ad-hoc ``ansible localhost -m`` run."""
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"]


def run_json(argv, env):
    """(rc, parsed json_results stdout) of an ansible or ansible-playbook command."""
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, parse_json_results(proc.stdout, proc.stderr)


def run_module_json(module, args, env, flags=()):
    """(rc, result) of ``ansible localhost -m <module>``."""
    rc, out = run_json(module_argv(module, args, flags), env)
    return rc, localhost_result(out)
