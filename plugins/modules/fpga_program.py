#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: fpga_program
short_description: Program a bitstream onto an FPGA (Intel OPAE/DFL, Xilinx XRT, fpga_manager) and verify it
version_added: 0.2.0
description:
  - Loads a bitstream onto one FPGA card, only when the card does not already run it, then
    re-reads the card through sysfs and fails unless it reports the bitstream's own id.
  - The bitstream's identity comes from its header. Intel GBS (OPAE packager format) -
    C(afu-image.accelerator-clusters[0].accelerator-type-uuid), compared with the DFL port's
    C(afu_id); its C(afu-image.interface-uuid) must equal the FME's PR interface id
    (C(compat_id)), else the module refuses, as Intel's tools do. Xilinx xclbin (axlf
    header, magic C(xclbin2)) - the header UUID, compared with the user function's
    C(icap.*/xclbinuuid); its platform VBNV (and interface UUID, when both sides have one)
    must match the card's shell.
  - Methods - C(opae) runs C(fpgaconf) for partial reconfiguration (GBS) and C(fpgasupdate)
    only for O(kind=fim) or O(kind=bmc); C(xrt) runs C(xbutil program --device <user bdf>
    --user <xclbin>), and C(xbmgmt program --base) only for O(kind=base) with
    O(allow_base_flash=true); C(fpga_manager) copies the image below O(firmware_dir) and
    writes its name to the kernel fpga_manager's C(firmware) attribute where the kernel
    offers one.
  - Flash updates (O(kind=base), O(kind=fim), O(kind=bmc)) become active after a cold
    reboot. The module then reports RV(reboot_required) and RV(verified=false) and records
    the flashed image next to the lock (tied to the kernel boot id), so re-runs before the
    reboot report no change.
  - Sources - a file on the target (O(src)), a URL with a mandatory O(checksum), or a Glance
    image (O(glance)) found by id or by Cyborg's C(accel:function_id) / C(accel:bitstream_id)
    image properties, with the same authentication options as
    M(openaccel.cyborg.placement_provider_tree). A checksum mismatch stops before the
    device is looked at.
  - The bytes verified are the bytes programmed - the bitstream (file, download or cache
    entry) is copied into a directory only this run can write, hashed while it is copied, and
    the vendor tool (or the fpga_manager firmware copy) gets that copy; replacing the source
    file while the run waits for the card lock does not change what is programmed.
  - One run at a time per card - an C(flock) lock under O(lock_dir), waited for up to
    O(lock_timeout) seconds. A device whose nodes are open by a process is reported busy and
    left alone unless O(force=true).
  - Tools run with O(timeout); a tool that hangs is killed, and the result says what the
    device reports afterwards.
author:
  - openaccel.cyborg developers (@openaccel)
extends_documentation_fragment:
  - openaccel.cyborg.attributes
  - openaccel.cyborg.openstack_auth
attributes:
  check_mode:
    support: full
    details: Reads the source and the device, reports the plan (RV(action)); runs no tool.
  diff_mode:
    support: full
    details: The loaded id before and after (C(afu_id), C(xclbin_uuid), ...).
  idempotent:
    support: full
    details: The id the device reports is compared with the bitstream's own id.
requirements:
  - python >= 3.6
  - fpgaconf / fpgasupdate (OPAE) or xbutil / xbmgmt (XRT) on the target, for those methods
  - keystoneauth1 and openstacksdk, only for O(glance) with O(cloud) or O(auth)
notes:
  - Needs root on real hardware (C(become=true)).
  - The source is read in check mode too (a URL or Glance image is downloaded to a temporary
    directory and deleted at the end), because the decision needs the bitstream's header.
options:
  device:
    description:
      - PCI address of the card (C(0000:3b:00.0) or C(3b:00.0)). For XRT either function
        of the card (management or user) can be named. For OPAE/DFL it is the physical
        function that carries the FME.
    type: str
    required: true
  src:
    description: Path of the bitstream on the target host. Exclusive with O(url) and O(glance).
    type: path
  url:
    description: URL to download the bitstream from (HTTP/HTTPS). O(checksum) is then required.
    type: str
  checksum:
    description:
      - Expected digest, C(sha256:<hex>) or C(sha512:<hex>). Required with O(url); verified
        when given with O(src) or O(glance) too.
    type: str
  glance:
    description:
      - Take the bitstream from an OpenStack Glance image. Give exactly one way to find it.
      - The image's own C(os_hash_value) is verified when Glance recorded one.
      - Glance is reached through O(cloud) / O(auth) (Keystone), or O(image_endpoint) + O(token).
    type: dict
    suboptions:
      image_id:
        description: Image UUID.
        type: str
      function_id:
        description: Value of the image property C(accel:function_id) (Cyborg).
        type: str
      bitstream_id:
        description: Value of the image property C(accel:bitstream_id) (Cyborg).
        type: str
  method:
    description: How to program. V(auto) picks from the device's framework in sysfs.
    type: str
    choices: [auto, opae, xrt, fpga_manager]
    default: auto
  kind:
    description:
      - What is programmed. V(partial) - a GBS or user xclbin (partial reconfiguration).
        V(base) - an XRT shell (xsabin, needs O(allow_base_flash)). V(fim) / V(bmc) - an
        Intel signed FIM or BMC update image through C(fpgasupdate).
      - V(auto) is V(partial), or V(base) for an XRT shell image.
    type: str
    choices: [auto, partial, base, fim, bmc]
    default: auto
  expected_id:
    description:
      - For O(kind=fim) (required) - the FME C(bitstream_id) the update brings; equal to the
        device's means no change.
    type: str
  allow_base_flash:
    description: Allow O(kind=base) (rewrites the Alveo card's shell flash).
    type: bool
    default: false
  force:
    description:
      - Program even when processes hold the device open (passes C(--force) to C(fpgaconf)).
        Programming under a running application crashes it.
    type: bool
    default: false
  timeout:
    description: Seconds a tool may run before it is killed and the run fails.
    type: int
    default: 600
  lock_dir:
    description: Directory of the per-card lock files and flash records.
    type: path
    default: /run/lock
  cache:
    description:
      - Keep verified O(url) and O(glance) downloads in O(cache_dir), named by their digest, so
        a run whose card already runs the image does not download it again. Every use checks
        the entry's digest again; a damaged entry is downloaded anew. Check mode only reads it.
    type: bool
    default: true
  cache_dir:
    description: Directory of the download cache (created with mode 0700).
    type: path
    default: /var/cache/openaccel/bitstreams
  lock_timeout:
    description: Seconds to wait for another run's lock on the same card.
    type: int
    default: 300
  sysfs_root:
    description: Root of sysfs to read the devices from (C(/host/sys) in a container).
    type: path
    default: /sys
  firmware_dir:
    description: Where the C(fpga_manager) method copies the image (the kernel firmware path).
    type: path
    default: /lib/firmware
  image_endpoint:
    description:
      - Glance URL to use as is, without Keystone (for example C(http://127.0.0.1:9292)).
        Excludes O(cloud) and O(auth).
    type: str
  token:
    description: Token sent as C(X-Auth-Token) together with O(image_endpoint).
    type: str
seealso:
  - module: openaccel.cyborg.accelerator_facts
  - name: OPAE fpgaconf
    description: Intel OPAE partial reconfiguration tool.
    link: https://ofs.github.io/latest/sw/fpga_tools/fpgaconf/fpgaconf/
"""

EXAMPLES = r"""
- name: Load an AFU onto a PAC D5005 (no change when it already runs it)
  openaccel.cyborg.fpga_program:
    device: "0000:3b:00.0"
    src: /opt/afus/nlb0.gbs
  become: true

- name: Load an xclbin from a web server onto an Alveo U200
  openaccel.cyborg.fpga_program:
    device: "0000:17:00.1"
    url: https://artifacts.example.com/u200/vadd.xclbin
    checksum: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
  become: true

- name: Load the bitstream Cyborg knows as function_id 3d6f... from Glance
  openaccel.cyborg.fpga_program:
    device: "0000:3b:00.0"
    glance:
      function_id: 3d6f1f0d-ae21-4a6e-a5b1-6c5d1c2f9f2a
    cloud: mycloud
  become: true

- name: Flash an Alveo shell (active after a cold reboot)
  openaccel.cyborg.fpga_program:
    device: "0000:17:00.0"
    src: /lib/firmware/xilinx/u200_base.xsabin
    kind: base
    allow_base_flash: true
    timeout: 1800
  register: shell
"""

RETURN = r"""
action:
  description: The decision - V(none) (already loaded), V(program), V(pending) (flashed, waits for a reboot).
  returned: success
  type: str
device:
  description: The normalized address given in O(device).
  returned: success
  type: str
target:
  description: The function the tool was pointed at (DFL PF, XRT user or management PF).
  returned: success
  type: str
method:
  description: V(opae), V(xrt) or V(fpga_manager).
  returned: success
  type: str
kind:
  description: V(partial), V(base), V(fim) or V(bmc).
  returned: success
  type: str
tool:
  description: Tool used (or that would be used) - fpgaconf, fpgasupdate, xbutil, xbmgmt, fpga_manager.
  returned: success
  type: str
id_field:
  description: Device attribute compared (afu_id, xclbin_uuid, logic_uuid, bitstream_id); null when the device has none.
  returned: success
  type: str
loaded_id_before:
  description: Id the device reported before the run (32 hex digits, no dashes).
  returned: success
  type: str
loaded_id_after:
  description: Id the device reports after the run, as re-read (in check mode, the id it would report).
  returned: success
  type: str
wanted_id:
  description: Id of the bitstream (from its header, O(expected_id), or the image SHA-256 where there is no id).
  returned: success
  type: str
device_interface_id:
  description: The card's PR interface id (DFL compat_id) or XRT interface UUID.
  returned: success
  type: str
verified:
  description: True when the re-read id equals RV(wanted_id) after programming.
  returned: changed
  type: bool
reboot_required:
  description: A flash update is written but only active after a cold reboot.
  returned: success
  type: bool
bitstream:
  description: The bitstream's format, size, sha256, header ids and source.
  returned: success
  type: dict
  sample: {"format": "gbs", "afu_id": "d8424dc4a4a93c64a3a01c7ae1c6a2e0",
           "interface_id": "a195b6f7cf235a2b8ef91161e184ec4e", "sha256": "9f86...", "origin": "url",
           "url": "https://artifacts.example.com/nlb0.gbs", "cached": true}
tool_result:
  description: argv, rc, stdout/stderr tails, seconds and timed_out of the tool run.
  returned: when a tool ran
  type: dict
lock_waited_s:
  description: Seconds spent waiting for the card's lock.
  returned: when programming was attempted
  type: float
seconds:
  description: Wall-clock seconds of the whole run (source download and check, lock wait, tool run, verification).
  returned: always
  type: float
  sample: 41.7
"""

from ansible_collections.openaccel.cyborg.plugins.module_utils._module import (  # noqa: E402
    execute)
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.runner import (  # noqa: E402
    ARGSPEC, run)


def main():
    execute(ARGSPEC.create_ansible_module(), run)


if __name__ == "__main__":
    main()
