# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the driver-role tests find ansible-playbook and the collection (the repository through
its ansible_collections/openaccel/cyborg link, or the staged copy ansible-test units uses)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))


def collections_path():
    parts = ROOT.split(os.sep)
    if len(parts) > 3 and parts[-3] == 'ansible_collections':
        return os.sep.join(parts[:-3])
    return ROOT


def ansible_playbook():
    exe = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    return exe if os.path.exists(exe) else shutil.which('ansible-playbook')
