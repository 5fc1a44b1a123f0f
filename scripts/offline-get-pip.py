# openaccel-cyborg offline get-pip stand-in (marker: do not remove, bootstrap.sh looks for it)
"""Stand-in for the ``get-pip.py`` that ansible-test downloads from a host CI cannot reach.

ansible-test bootstraps pip into each virtual environment it creates by running
``python get-pip-<ver>.py <pip options> pip==<ver> [--no-setuptools] [--no-wheel]``, and looks
for a cached copy at ``~/.ansible/test/cache/get_pip_<ver with _>.py`` before downloading one.
scripts/bootstrap.sh copies this file to those paths.  It does what get-pip does with what the
interpreter already has: ``ensurepip`` puts the bundled pip in place, and that pip then installs
the requested packages (the exact pip version ansible-test wants) from the package index.

Keep it compatible with every Python that ansible-test may create a venv for (3.6 and later).
"""

import os
import subprocess
import sys

# Options get-pip understands that pip install does not.
GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    env = dict(os.environ)
    # ansible-test's quiet_pip wrapper sets GET_PIP to this file: pip itself must not see it.
    env.pop('GET_PIP', None)

    try:
        import pip  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], env=env)

    if args:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args, env=env)


if __name__ == '__main__':
    main()
