# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit-level tests of the driver roles' platform logic (openaccel.cyborg.nvidia_driver,
xilinx_xrt, intel_opae).

Each test runs the role's own pure-logic task file (tasks/platform.yml, tasks/repos.yml) with
ansible-playbook on localhost, after a helper module has set the facts of another platform
(Ubuntu 22.04/24.04, RHEL/Rocky 9/10, arm64, unsupported ones), and reads back the plan the role
computed: package manager, method, branch, packages, repository URLs, DNF module stream.
The Debian paths run for real in the molecule scenarios (molecule/).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.openaccel.cyborg.tests.unit.roles.role_runner import ansible_playbook, collections_path

HERE = os.path.dirname(os.path.abspath(__file__))


pytestmark = pytest.mark.skipif(ansible_playbook() is None, reason='ansible-playbook is not installed')

DEBIAN12 = {'distribution': 'Debian', 'distribution_version': '12.8', 'distribution_major_version': '12',
            'os_family': 'Debian', 'kernel': '6.1.0-28-amd64', 'architecture': 'x86_64'}
DEBIAN13 = dict(DEBIAN12, distribution_version='13.1', distribution_major_version='13', kernel='6.12.48+deb13-amd64')
DEBIAN11 = dict(DEBIAN12, distribution_version='11.11', distribution_major_version='11')
UBUNTU2204 = {'distribution': 'Ubuntu', 'distribution_version': '22.04', 'distribution_major_version': '22',
              'os_family': 'Debian', 'kernel': '5.15.0-126-generic', 'architecture': 'x86_64'}
UBUNTU2404 = dict(UBUNTU2204, distribution_version='24.04', distribution_major_version='24', kernel='6.8.0-49-generic')
UBUNTU2004 = dict(UBUNTU2204, distribution_version='20.04', distribution_major_version='20')
RHEL9 = {'distribution': 'RedHat', 'distribution_version': '9.5', 'distribution_major_version': '9',
         'os_family': 'RedHat', 'kernel': '5.14.0-503.14.1.el9_5.x86_64', 'architecture': 'x86_64'}
ROCKY10 = dict(RHEL9, distribution='Rocky', distribution_version='10.0', distribution_major_version='10',
               kernel='6.12.0-55.9.1.el10_0.x86_64')
RHEL9_ARM = dict(RHEL9, architecture='aarch64', kernel='5.14.0-503.14.1.el9_5.aarch64')
CENTOS7 = dict(RHEL9, distribution='CentOS', distribution_version='7.9', distribution_major_version='7')


def plan(tmp_path, role, facts, tasks=('platform.yml',), extra=None, names=None):
    """Run the role's task files with FACTS and return the role's internal variables."""
    prefix = '_%s_' % role
    play = [{
        'name': 'plan',
        'hosts': 'target',
        'gather_facts': False,
        'vars': dict(extra or {}),
        'tasks': [{'name': 'facts', 'fake_facts': {'facts': facts}}]
        + [{'name': 'run %s' % t, 'ansible.builtin.include_role': {
            'name': 'openaccel.cyborg.%s' % role, 'tasks_from': t}} for t in tasks]
        + [{'name': 'dump', 'ansible.builtin.copy': {
            'dest': str(tmp_path / 'plan.json'), 'mode': '0644',
            'content': '{{ %s | to_json }}' % (
                '{' + ', '.join("'%s': %s | default(None)" % (n, n) for n in names) + '}')}}],
    }]
    playbook = tmp_path / 'play.yml'
    playbook.write_text(json.dumps(play))
    shutil.copytree(os.path.join(HERE, 'library'), str(tmp_path / 'library'))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               ANSIBLE_RETRY_FILES_ENABLED='false', LC_ALL=os.environ.get('LC_ALL', 'C.UTF-8'))
    env.pop('ANSIBLE_CONFIG', None)
    proc = subprocess.run(
        [ansible_playbook(), '-i', 'target,', '-c', 'local',
         '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    with open(str(tmp_path / 'plan.json')) as f:
        result = json.load(f)
    return {k[len(prefix):]: v for k, v in result.items()}


NV = ['_nvidia_driver_' + n for n in (
    'os_key', 'supported', 'pkg_mgr', 'method_eff', 'method_ok', 'branch', 'package_set_name', 'main_package',
    'versioned_packages', 'other_packages', 'headers_pkgs', 'cuda_repo_url_eff', 'cuda_repo_key_eff',
    'dnf_module', 'debian_sources', 'initramfs', 'dkms')]
NV_REPOS = NV + ['_nvidia_driver_' + n for n in ('apt_repos', 'dnf_repos', 'proxy_hosts', 'proxy_env')]


def nv(tmp_path, facts, **extra):
    return plan(tmp_path, 'nvidia_driver', facts, extra=extra, names=NV)


def test_debian12_distro_defaults(tmp_path):
    p = nv(tmp_path, DEBIAN12)
    assert p['os_key'] == 'Debian-12' and p['supported'] and p['pkg_mgr'] == 'apt'
    assert p['method_eff'] == 'distro' and p['branch'] == '535'
    assert p['main_package'] == 'nvidia-kernel-dkms'
    assert p['versioned_packages'] == ['nvidia-kernel-dkms', 'nvidia-smi', 'libcuda1']
    assert p['other_packages'] == ['nvidia-persistenced']
    assert p['headers_pkgs'] == ['linux-headers-6.1.0-28-amd64']
    assert p['debian_sources'] is True
    assert p['initramfs'] == ['update-initramfs', '-u', '-k', 'all']


def test_debian13_open_desktop(tmp_path):
    p = nv(tmp_path, DEBIAN13, nvidia_driver_kernel_modules='open', nvidia_driver_flavor='desktop')
    assert p['branch'] == '550'
    assert p['main_package'] == 'nvidia-driver'
    assert p['versioned_packages'] == ['nvidia-open-kernel-dkms', 'nvidia-driver']


def test_debian12_cuda_repo(tmp_path):
    p = nv(tmp_path, DEBIAN12, nvidia_driver_method='cuda_repo')
    assert p['branch'] == '570' and p['main_package'] == 'cuda-drivers-570'
    assert p['cuda_repo_url_eff'] == 'https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/'
    assert p['cuda_repo_key_eff'].endswith('/debian12/x86_64/3bf863cc.pub')
    assert p['debian_sources'] is False


def test_version_implies_branch(tmp_path):
    p = nv(tmp_path, DEBIAN12, nvidia_driver_method='cuda_repo', nvidia_driver_version='575.57.08',
           nvidia_driver_kernel_modules='open')
    assert p['branch'] == '575' and p['main_package'] == 'nvidia-open-575'


def test_ubuntu2404_dkms_server_packages(tmp_path):
    p = nv(tmp_path, UBUNTU2404)
    assert p['os_key'] == 'Ubuntu-24.04' and p['method_eff'] == 'distro' and p['branch'] == '570'
    assert p['main_package'] == 'nvidia-utils-570-server'
    assert p['versioned_packages'] == ['nvidia-headless-570-server', 'nvidia-utils-570-server']
    assert p['headers_pkgs'] == ['linux-headers-6.8.0-49-generic'] and p['dkms'] is True
    assert p['debian_sources'] is False


def test_ubuntu2204_prebuilt_signed_modules(tmp_path):
    # what the preflight switches to when Canonical's prebuilt package exists for the kernel
    p = nv(tmp_path, UBUNTU2204, _nvidia_driver_use_prebuilt=True, nvidia_driver_branch='535',
           nvidia_driver_kernel_modules='open')
    assert p['versioned_packages'] == ['linux-modules-nvidia-535-server-open-5.15.0-126-generic',
                                       'nvidia-headless-no-dkms-535-server-open', 'nvidia-utils-535-server']
    assert p['dkms'] is False


def test_ubuntu_cuda_repo(tmp_path):
    p = nv(tmp_path, UBUNTU2204, nvidia_driver_method='cuda_repo')
    assert p['cuda_repo_url_eff'] == 'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/'
    assert p['main_package'] == 'cuda-drivers-570'


def test_rhel9_cuda_repo_module_stream(tmp_path):
    p = nv(tmp_path, RHEL9)
    assert p['os_key'] == 'EL-9' and p['pkg_mgr'] == 'dnf' and p['method_eff'] == 'cuda_repo'
    assert p['dnf_module'] == 'nvidia-driver:570-dkms'
    assert p['main_package'] == 'nvidia-driver'
    assert p['versioned_packages'] == ['nvidia-driver', 'nvidia-driver-cuda', 'kmod-nvidia-latest-dkms']
    assert p['headers_pkgs'] == ['kernel-devel-5.14.0-503.14.1.el9_5.x86_64', 'kernel-headers']
    assert p['cuda_repo_url_eff'] == 'https://developer.download.nvidia.com/compute/cuda/repos/rhel9/x86_64/'
    assert p['cuda_repo_key_eff'].endswith('/rhel9/x86_64/D42D0685.pub')
    assert p['initramfs'] == ['dracut', '--regenerate-all', '--force']


def test_rhel9_open_stream_and_arm(tmp_path):
    p = nv(tmp_path, RHEL9_ARM, nvidia_driver_kernel_modules='open', nvidia_driver_branch='560')
    assert p['dnf_module'] == 'nvidia-driver:560-open'
    assert p['cuda_repo_url_eff'] == 'https://developer.download.nvidia.com/compute/cuda/repos/rhel9/sbsa/'
    assert 'kmod-nvidia-open-dkms' in p['versioned_packages']


def test_rocky10_no_module_streams(tmp_path):
    p = nv(tmp_path, ROCKY10)
    assert p['os_key'] == 'EL-10' and p['branch'] == '580' and p['dnf_module'] == ''


def test_rhel_distro_method_is_not_offered(tmp_path):
    p = nv(tmp_path, RHEL9, nvidia_driver_method='distro')
    assert p['supported'] is True and p['method_ok'] is False


@pytest.mark.parametrize('facts', [DEBIAN11, UBUNTU2004, CENTOS7], ids=['debian11', 'ubuntu2004', 'centos7'])
def test_unsupported_platforms(tmp_path, facts):
    p = nv(tmp_path, facts)
    assert p['supported'] is False


def test_mirror_overrides_and_proxy(tmp_path):
    p = plan(tmp_path, 'nvidia_driver', DEBIAN12, tasks=('platform.yml', 'repos.yml'), names=NV_REPOS, extra={
        'nvidia_driver_method': 'cuda_repo',
        'nvidia_driver_cuda_repo_url': 'https://mirror.example.com/cuda/debian12/x86_64/',
        'nvidia_driver_cuda_repo_key_url': 'https://mirror.example.com/keys/cuda.gpg',
        'nvidia_driver_container_toolkit': True,
        'nvidia_driver_proxy': 'http://proxy.example.com:3128'})
    names = [r['name'] for r in p['apt_repos']]
    assert names == ['nvidia-cuda', 'nvidia-container-toolkit'] and p['dnf_repos'] == []
    cuda = p['apt_repos'][0]
    assert cuda['url'] == 'https://mirror.example.com/cuda/debian12/x86_64/'
    assert cuda['keyring'] == '/etc/apt/keyrings/openaccel-nvidia-cuda.gpg'
    toolkit = p['apt_repos'][1]
    assert toolkit['url'] == 'https://nvidia.github.io/libnvidia-container/stable/deb/amd64'
    assert toolkit['keyring'] == '/etc/apt/keyrings/openaccel-nvidia-container-toolkit.asc'
    assert p['proxy_hosts'] == ['mirror.example.com', 'nvidia.github.io']
    assert p['proxy_env']['https_proxy'] == 'http://proxy.example.com:3128'


def test_rhel_toolkit_repo(tmp_path):
    p = plan(tmp_path, 'nvidia_driver', RHEL9, tasks=('platform.yml', 'repos.yml'), names=NV_REPOS,
             extra={'nvidia_driver_container_toolkit': True})
    assert p['apt_repos'] == []
    assert [r['url'] for r in p['dnf_repos']] == [
        'https://developer.download.nvidia.com/compute/cuda/repos/rhel9/x86_64/',
        'https://nvidia.github.io/libnvidia-container/stable/rpm/x86_64']
    assert p['proxy_env'] == {}


@pytest.mark.parametrize('role,facts,key,mgr', [
    ('xilinx_xrt', UBUNTU2204, 'Ubuntu-22.04', 'apt'),
    ('xilinx_xrt', RHEL9, 'EL-9', 'dnf'),
    ('intel_opae', UBUNTU2404, 'Ubuntu-24.04', 'apt'),
    ('intel_opae', dict(RHEL9, distribution='AlmaLinux', distribution_major_version='8'), 'EL-8', 'dnf'),
])
def test_fpga_roles_platforms(tmp_path, role, facts, key, mgr):
    p = plan(tmp_path, role, facts, names=['_%s_%s' % (role, n) for n in ('os_key', 'supported', 'pkg_mgr')])
    assert p == {'os_key': key, 'supported': True, 'pkg_mgr': mgr}


def test_fpga_roles_unsupported(tmp_path):
    p = plan(tmp_path, 'xilinx_xrt', DEBIAN11, names=['_xilinx_xrt_supported'])
    assert p['supported'] is False


def test_xrt_packages_and_pin(tmp_path):
    p = plan(tmp_path, 'xilinx_xrt', DEBIAN12, names=['_xilinx_xrt_packages', '_xilinx_xrt_pin_pattern'],
             extra={'xilinx_xrt_version': '2.16.204', 'xilinx_xrt_platform_packages': ['xilinx-u250-gen3x16-xdma-shell']})
    assert p == {'packages': ['xrt', 'xilinx-u250-gen3x16-xdma-shell'], 'pin_pattern': '2.16.204*'}


def test_opae_devel(tmp_path):
    p = plan(tmp_path, 'intel_opae', DEBIAN12, names=['_intel_opae_all_packages'], extra={'intel_opae_devel': True})
    assert p['all_packages'] == ['opae-libs', 'opae-tools', 'opae-tools-extra', 'opae-devel']
