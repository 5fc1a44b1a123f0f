# -*- coding: utf-8 -*-
# Copyright: openaccel.cyborg contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!
"""fpga_program's tool runners: the vendor command lines, one subprocess wrapper with a
timeout, device-user detection, and the Linux fpga_manager sysfs interface.

Command lines (long options, so logs read clearly):
  fpgaconf --segment 0x0000 --bus 0x3b --device 0x00 --function 0x0 [--force] FILE.gbs
  fpgasupdate --log-level info FILE 0000:3b:00.0           (kind fim | bmc only)
  xbutil program --device <user bdf> --user FILE.xclbin
  xbmgmt program --device <mgmt bdf> --base --image FILE.xsabin --force   (allow_base_flash)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import signal
import subprocess
import time

from ansible_collections.openaccel.cyborg.plugins.module_utils._files import atomic_copy
from ansible_collections.openaccel.cyborg.plugins.module_utils._fpga.bitstream import file_digests
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs import SysfsError
from ansible_collections.openaccel.cyborg.plugins.module_utils._sysfs_write import SysfsWriter

TAIL = 4000
_BUSY = re.compile(r"\b(busy|EBUSY|in use)\b", re.IGNORECASE)


class ToolError(Exception):
    """A tool could not be started or the fpga_manager refused; message names the fix."""


def command(plan, path, force=False):
    """argv (without the resolved executable path) for the plan's tool."""
    tool, target = plan["tool"], plan["target"]
    if tool == "fpgaconf":
        domain, bus, rest = target.split(":")
        slot, func = rest.split(".")
        argv = ["fpgaconf", "--segment", "0x" + domain, "--bus", "0x" + bus,
                "--device", "0x" + slot, "--function", "0x" + func]
        return argv + (["--force"] if force else []) + [path]
    if tool == "fpgasupdate":
        return ["fpgasupdate", "--log-level", "info", path, target]
    if tool == "xbutil":
        return ["xbutil", "program", "--device", target, "--user", path]
    if tool == "xbmgmt":
        return ["xbmgmt", "program", "--device", target, "--base", "--image", path, "--force"]
    raise ToolError("no command line for tool %s" % tool)


def _tail(text):
    text = text or ""
    return text if len(text) <= TAIL else "...\n" + text[-TAIL:]


def _decode(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")


def run_tool(argv, timeout, env=None):
    """Run argv with a timeout; on timeout the whole process group is killed.

    Returns {argv, rc, stdout, stderr, timed_out, seconds}. Raises ToolError when the
    executable cannot be started.
    """
    start = time.time()
    try:
        # Not module.run_command: it has no timeout and cannot kill the tool's process group,
        # which a hung vendor flash tool needs (ansible-test 2.21 flags subprocess here).
        proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, env=env)
    except OSError as exc:
        raise ToolError("cannot run %s: %s" % (argv[0], exc.strerror or exc))
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                out, err = proc.communicate(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                out, err = b"", b""
    return {"argv": list(argv), "rc": proc.returncode, "stdout": _tail(_decode(out)),
            "stderr": _tail(_decode(err)), "timed_out": timed_out,
            "seconds": round(time.time() - start, 3)}


def looks_busy(result):
    return bool(_BUSY.search(result["stdout"] + "\n" + result["stderr"]))


# -- Linux fpga_manager ---------------------------------------------------------------

def manager_dir(sysfs_root, address, manager):
    return "%s/bus/pci/devices/%s/fpga_manager/%s" % (sysfs_root.rstrip("/"), address, manager)


def fpga_manager_load(sysfs_root, address, manager, path, sha256, firmware_dir):
    """Copy the image (the run's private copy, of digest ``sha256``) below firmware_dir,
    check the copy's digest, and ask the manager to load it through its
    ``firmware`` attribute (offered by vendor kernels: Xilinx/AMD, Intel SoC FPGA).

    Returns {firmware, state}. Raises ToolError naming the missing piece.
    """
    base = manager_dir(sysfs_root, address, manager)
    attr = base + "/firmware"
    if not os.path.exists(attr):
        raise ToolError("method: the kernel's fpga_manager %s on %s has no 'firmware' "
                        "attribute, so it cannot load an image through sysfs; use a "
                        "device-tree overlay or the vendor tool instead" % (manager, address))
    name = "openaccel-%s.bin" % sha256[:16]
    dest = os.path.join(firmware_dir, name)
    try:
        atomic_copy(path, dest, mode=0o644, dir_mode=0o755)
        # the kernel reads the file by name: check the bytes it will read, right before
        actual = file_digests(dest)["sha256"]
    except (IOError, OSError) as exc:
        raise ToolError("firmware_dir: cannot copy the image to %s: %s"
                        % (dest, exc.strerror or exc))
    if actual != sha256:
        raise ToolError("firmware_dir: %s changed after it was written (sha256 %s, expected "
                        "%s); the image was not loaded. Check what else writes to %s"
                        % (dest, actual, sha256, firmware_dir))
    writer = SysfsWriter(sysfs_root)
    try:
        writer.write_at(attr, name)
    except SysfsError as exc:
        raise ToolError("fpga_manager refused the image: %s" % exc)
    return {"firmware": name, "state": writer.read_optional_at(base + "/state")}
