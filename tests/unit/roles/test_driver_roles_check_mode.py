# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook --check of the whole driver roles against this machine (a Debian/Ubuntu host).

Check mode must run clean (no failure) and change nothing: the files the roles own are compared
before and after.  Runs only where apt is the package manager; the real applies run in the molecule
scenarios (molecule/).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.openaccel.cyborg.tests.unit.roles.role_runner import ansible_playbook, collections_path

OWNED = ['/etc/apt/sources.list.d/openaccel-*', '/etc/apt/preferences.d/openaccel-*',
         '/etc/apt/keyrings/openaccel-*', '/etc/modprobe.d/openaccel-*', '/etc/apt/apt.conf.d/80openaccel-*',
         '/etc/profile.d/openaccel-*', '/var/cache/openaccel']

pytestmark = [
    pytest.mark.skipif(ansible_playbook() is None, reason='ansible-playbook is not installed'),
    pytest.mark.skipif(shutil.which('apt-cache') is None, reason='not an apt-based machine'),
]


def _state():
    state = {}
    for pattern in OWNED:
        for path in glob.glob(pattern):
            state[path] = os.stat(path).st_mtime if os.path.isfile(path) else 'dir'
    return state


def _check_run(tmp_path, role, role_vars):
    play = [{'name': 'check', 'hosts': 'localhost', 'gather_facts': True,
             'tasks': [{'name': 'role', 'ansible.builtin.include_role': {'name': 'openaccel.cyborg.%s' % role},
                        'vars': role_vars}]}]
    playbook = tmp_path / 'check.yml'
    playbook.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               LC_ALL=os.environ.get('LC_ALL', 'C.UTF-8'))
    before = _state()
    proc = subprocess.run(
        [ansible_playbook(), '--check', '--diff', '-i', 'localhost,', '-c', 'local',
         '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert _state() == before, 'check mode changed files the role owns'
    return proc.stdout


def test_nvidia_driver_check_mode(tmp_path):
    key = tmp_path / 'key.asc'
    key.write_text('-----BEGIN PGP PUBLIC KEY BLOCK-----\n(stand-in)\n-----END PGP PUBLIC KEY BLOCK-----\n')
    out = _check_run(tmp_path, 'nvidia_driver', {
        # this machine's kernel may have no headers in any repository
        'nvidia_driver_missing_headers': 'defer',
        'nvidia_driver_method': 'cuda_repo',
        'nvidia_driver_cuda_repo_url': 'file:///nonexistent/cuda/',
        'nvidia_driver_cuda_repo_key_url': 'file://%s' % key,
    })
    # the repository is not configured here, so check mode says so instead of resolving a version
    assert 'Check mode: the repositories are not configured yet' in out


def test_xilinx_xrt_check_mode(tmp_path):
    out = _check_run(tmp_path, 'xilinx_xrt', {
        'xilinx_xrt_repo_url': 'file:///nonexistent/xrt/',
        'xilinx_xrt_version': '2.16.204',
    })
    assert 'xilinx_xrt_result' in out
