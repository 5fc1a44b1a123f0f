# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: accelerator_reports
short_description: Collect the accelerators role's per-host reports of this run
version_added: 0.2.0
author:
  - openaccel.cyborg developers (@openaccel)
description:
  - The P(openaccel.cyborg.accelerators#role) role builds its reports once per play batch
    (M(openaccel.cyborg.accelerator_report) with C(run_once)) and registers them on every host
    of the batch, so each host's variable holds the reports of its whole batch.
  - This filter merges them into one dict, host name -> report. It reads one host per batch
    (a host whose report an earlier host's variable already held is not read again), so a
    fleet of a thousand hosts costs one variable lookup per batch, not a thousand.
options:
  _input:
    description: The host variables, usually C(hostvars).
    type: dict
    required: true
  variable:
    description: The host variable the reports were registered in.
    type: str
    default: _accelerators_report
"""

EXAMPLES = r"""
- name: Collect the reports of this run (after openaccel.cyborg.accelerators ran on the hosts)
  ansible.builtin.set_fact:
    reports: "{{ hostvars | openaccel.cyborg.accelerator_reports }}"
"""

RETURN = r"""
_value:
  description: The report of each host that has one, by host name.
  type: dict
"""

from ansible.errors import AnsibleFilterError


def accelerator_reports(host_variables, variable="_accelerators_report"):
    if not hasattr(host_variables, "keys"):
        raise AnsibleFilterError("accelerator_reports expects the host variables (hostvars), got %s"
                                 % type(host_variables).__name__)
    reports = {}
    for host in list(host_variables.keys()):
        if host in reports:
            continue
        registered = host_variables[host].get(variable)
        batch = registered.get("reports") if hasattr(registered, "get") else None
        if hasattr(batch, "items"):
            reports.update(batch.items())
    return dict(sorted(reports.items()))


class FilterModule(object):
    def filters(self):
        return {"accelerator_reports": accelerator_reports}
